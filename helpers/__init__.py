"""Shared code of the Understanding LLMs series, one module per concept, in the order the chapters meet them.

runtime               device, seeds and the one cache folder
files                 atomic writes and checksums, so a learner's files are never half written
tinyworld             the synthetic corpus whose true probabilities are known                 (chapter 1)
tokenizers            characters, words, byte-level BPE and GPT-2's tokenizer                  (chapter 1, 5)
ngram_model           count-based next-word prediction                                         (chapter 1, 3)
word_count_classifier the narrow spam tagger that came before LLMs                             (chapter 1, 6)
downloads             optional real datasets, checksummed and cached                           (chapter 5, 6)
windows               sliding windows of token ids for next-token training                    (chapter 5)
attention             scaled dot-product and multi-head causal self-attention                 (chapter 3)
model                 the GPT and its configurations                                          (chapter 3, 5)
gpt2_interop          Hugging Face GPT-2 weights in and out                                   (chapter 5)
generation            next-token distributions and sampling                                   (chapter 1, 4)
training              the training loop every chapter uses                                    (chapter 5, 6)
train_distributed     the same training loop data-parallel under torchrun (DDP, gloo)         (chapter 6)
checkpoints           saving and resuming a learner's model safely                            (chapter 6)
pretrained            the chapters' ready-made models, trained once and cached                (chapter 3-8)
probes                what a model has learned, as minimal-pair accuracies                    (chapter 2, 3)
finetuning            classification heads, LoRA and instruction tuning                       (chapter 6)
widgets               the interactive labs, each leaving a static picture                     (every chapter)
experiments           one module per experiment a chapter runs: scaling (2), attention probes (3), induction
                      heads, few-shot, in-context regression, grokking (7), memorization, bias, harmful
                      filter, watermark, preference tuning (8)
"""
