/**
 * Suggestions for a first model of the built-in engine, shown in the empty chat and in "Add a GGUF model…": small
 * enough for a laptop's memory, from their makers' or well-known Hugging Face repositories. Shared so the page can
 * list them while only the host, looking a name up here, decides what is downloaded.
 */
export interface SuggestedModel {
  name: string;
  /** Approximate download size. */
  size: string;
  /** What it is good at, in a few words. */
  can: string;
  url: string;
}

export const SUGGESTED_MODELS: readonly SuggestedModel[] = [
  {
    name: 'Qwen3 0.6B (Q8_0)',
    size: '0.6 GB',
    can: 'fast; tools and thinking; short answers',
    url: 'https://huggingface.co/Qwen/Qwen3-0.6B-GGUF/resolve/main/Qwen3-0.6B-Q8_0.gguf',
  },
  {
    name: 'Qwen3 1.7B (Q8_0)',
    size: '1.8 GB',
    can: 'tools and thinking; better answers, needs ~3 GB of memory',
    url: 'https://huggingface.co/Qwen/Qwen3-1.7B-GGUF/resolve/main/Qwen3-1.7B-Q8_0.gguf',
  },
  {
    name: 'Llama 3.2 1B Instruct (Q4_K_M)',
    size: '0.8 GB',
    can: 'general chat; tools',
    url: 'https://huggingface.co/bartowski/Llama-3.2-1B-Instruct-GGUF/resolve/main/Llama-3.2-1B-Instruct-Q4_K_M.gguf',
  },
  {
    name: 'Qwen2.5 Coder 1.5B Instruct (Q4_K_M)',
    size: '1.1 GB',
    can: 'code questions; no tools',
    url: 'https://huggingface.co/Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF/resolve/main/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf',
  },
];
