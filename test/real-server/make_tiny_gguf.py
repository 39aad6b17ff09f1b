#!/usr/bin/env python3
"""Writes a tiny random-weight llama GGUF for tests against a real llama-server (no weights can be downloaded).

The tokenizer is llama.cpp's own models/ggml-vocab-llama-spm.gguf (the real 32,000-token LLaMA vocabulary).
The output head has its own weights (a tied head only repeats the last token). The chat template is ChatML
with Hermes-style tool calls (as Qwen 2.5 writes them), so llama-server's --jinja mode offers tools and, with
tool_choice "required", constrains the output to a valid call.
The ChatML markers are added to the vocabulary as control tokens, and the tokenizer adds no space before
text, as in Qwen's own tokenizer: llama-server feeds the generation prompt "<|im_start|>assistant\n" through
the tool-call grammar, and the LLaMA vocabulary's leading " <" token (which it then skips) made that fail
with "Failed to initialize samplers" for every tool_choice "required" request.
Usage: PYTHONPATH=<llama.cpp>/gguf-py python3 make_tiny_gguf.py VOCAB.gguf OUT.gguf
"""
import os
import sys

import gguf
import numpy as np

vocab_path, out_path = sys.argv[1], sys.argv[2]
src = gguf.GGUFReader(vocab_path)
tokens = src.fields["tokenizer.ggml.tokens"].contents()
scores = src.fields["tokenizer.ggml.scores"].contents()
ttypes = src.fields["tokenizer.ggml.token_type"].contents()
SPECIAL = ["<|im_start|>", "<|im_end|>", "<tool_call>", "</tool_call>"]
CONTROL = int(gguf.TokenType.CONTROL)
tokens = list(tokens) + SPECIAL
scores = list(scores) + [0.0] * len(SPECIAL)
ttypes = list(ttypes) + [CONTROL] * len(SPECIAL)

n_embd = int(os.environ.get("TINY_EMBD", 64))
n_layer = int(os.environ.get("TINY_LAYERS", 2))
n_ff = 2 * n_embd
n_head, n_ctx = 4, 4096
rng = np.random.default_rng(1234)

# Qwen 2.5's template (ChatML with Hermes-style tool calls), whitespace and all: llama-server derives the
# output format from how the template renders an assistant message, so it must match the generation prompt.
CHAT_TEMPLATE = r"""{%- if tools %}
{{- '<|im_start|>system\n' }}
{%- if messages[0].role == 'system' %}{{- messages[0].content + '\n\n' }}{%- endif %}
{{- "# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>" }}
{%- for tool in tools %}{{- "\n" }}{{- tool | tojson }}{%- endfor %}
{{- "\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n" }}
{%- else %}
{%- if messages[0].role == 'system' %}{{- '<|im_start|>system\n' + messages[0].content + '<|im_end|>\n' }}{%- endif %}
{%- endif %}
{%- for message in messages %}
{%- if (message.role == "user") or (message.role == "system" and not loop.first) %}
{{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>' + '\n' }}
{%- elif message.role == "assistant" %}
{{- '<|im_start|>' + message.role }}
{%- if message.content %}{{- '\n' + message.content }}{%- endif %}
{%- for tool_call in message.tool_calls %}
{%- if tool_call.function is defined %}{%- set tool_call = tool_call.function %}{%- endif %}
{{- '\n<tool_call>\n{"name": "' }}{{- tool_call.name }}{{- '", "arguments": ' }}{{- tool_call.arguments | tojson }}{{- '}\n</tool_call>' }}
{%- endfor %}
{{- '<|im_end|>\n' }}
{%- elif message.role == "tool" %}
{{- '<|im_start|>user\n<tool_response>\n' + message.content + '\n</tool_response><|im_end|>\n' }}
{%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<|im_start|>assistant\n' }}{%- endif %}
"""

w = gguf.GGUFWriter(out_path, "llama")
w.add_name("tiny-random-llama")
w.add_context_length(n_ctx)
w.add_embedding_length(n_embd)
w.add_block_count(n_layer)
w.add_feed_forward_length(n_ff)
w.add_head_count(n_head)
w.add_head_count_kv(n_head)
w.add_rope_dimension_count(n_embd // n_head)
w.add_layer_norm_rms_eps(1e-5)
w.add_vocab_size(len(tokens))
w.add_file_type(gguf.LlamaFileType.ALL_F32)
w.add_tokenizer_model("llama")
w.add_tokenizer_pre("default")
w.add_token_list(tokens)
w.add_token_scores(scores)
w.add_token_types(ttypes)
w.add_bos_token_id(1)
w.add_eos_token_id(2)
w.add_unk_token_id(0)
w.add_add_bos_token(True)
w.add_add_eos_token(False)
w.add_add_space_prefix(False)
w.add_chat_template(CHAT_TEMPLATE)


def rnd(*shape, std=0.02):
    return (rng.standard_normal(shape) * std).astype(np.float32)


# numpy shapes are (rows, cols): ggml's ne reversed
w.add_tensor("token_embd.weight", rnd(len(tokens), n_embd, std=1.0))
w.add_tensor("output_norm.weight", np.ones(n_embd, dtype=np.float32))
w.add_tensor("output.weight", rnd(len(tokens), n_embd, std=0.5))
for i in range(n_layer):
    p = f"blk.{i}."
    w.add_tensor(p + "attn_norm.weight", np.ones(n_embd, dtype=np.float32))
    for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
        w.add_tensor(p + name + ".weight", rnd(n_embd, n_embd, std=0.1))
    w.add_tensor(p + "ffn_norm.weight", np.ones(n_embd, dtype=np.float32))
    w.add_tensor(p + "ffn_gate.weight", rnd(n_ff, n_embd, std=0.1))
    w.add_tensor(p + "ffn_up.weight", rnd(n_ff, n_embd, std=0.1))
    w.add_tensor(p + "ffn_down.weight", rnd(n_embd, n_ff, std=0.1))

w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
print(f"wrote {out_path}: vocab={len(tokens)} embd={n_embd} layers={n_layer}")
