/**
 * How many messages `OlderMessages` renders at a time. A module of its own so that the history benchmark
 * can build the page with every message rendered at once (bench/baselines) without a switch in the page.
 */
export const BATCH = 40;
