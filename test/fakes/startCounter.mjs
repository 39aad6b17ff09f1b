// Preloaded with `node --import` in front of a real MCP server: appends a line per process start to
// $START_COUNT_FILE, so a test can count how many processes a connection spawned (the era probe's included).
import { appendFileSync } from 'node:fs';

if (process.env.START_COUNT_FILE) appendFileSync(process.env.START_COUNT_FILE, `${process.pid}\n`);
