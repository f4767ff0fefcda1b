"""Shared code of the Understanding LLMs series, one module per concept, in the order the data flows through them.

A module imports only modules listed above it. The chapters that import a module are named after it; a module
without chapters is used by the others only (tests/test_package_index.py checks both against the code).

runtime               seeds, the one cache folder, evaluation mode                              (chapters 1-8)
files                 atomic writes and checksums, so a learner's files are never half written
checks                is this a model, a tokenizer, and do they fit each other: checks at the edges
downloads             optional real datasets, checksummed and cached                            (chapters 1, 5, 6)
tinyworld2            the series' own corpus, where knowing what a text means pays in next-token loss (chapters 1-8)
tokenizers            characters, words, byte-level BPE and GPT-2's tokenizer                   (chapters 1, 5, 6, 8)
ngram_model           count-based next-word prediction                                          (chapters 1-3, 7)
word_count_classifier the narrow spam tagger that came before LLMs                              (chapters 1, 6, 8)
windows               sliding windows of token ids for next-token training                      (chapters 1, 5, 6, 8)
batches               examples stacked into the batches training reads, the same every time     (chapters 1, 5, 8)
attention             scaled dot-product and multi-head causal self-attention, the KV cache     (chapters 3, 5)
model                 the GPT and its configurations                                            (chapters 2, 5-8)
gpt2_interop          Hugging Face GPT-2 weights in and out                                     (chapter 5)
generation            next-token distributions and sampling                                     (chapters 2, 4, 5, 7, 8)
exercise_checks       the learner's attention, sampling and training step run, the mistake named (chapters 3-5)
scoring               log P(continuation | prompt), and a text's nats per character             (chapters 1, 2, 4, 5)
compression           a language model as a compressor: arithmetic coding with its probabilities (chapter 2)
checkpoints           saving and resuming a learner's model safely
distributed           what the training loop asks of torch.distributed under torchrun
training              the training loop every chapter uses                                      (chapters 1, 5, 6, 8)
cached_models         models trained once and shared through the cache (lock, resume, rebuild)
pretrained            the chapters' ready-made models, trained once from a recipe               (chapters 2-8)
train_distributed     the same loop data-parallel under torchrun, from the command line         (chapter 6)
probes                what a model has learned, as minimal-pair accuracies                      (chapter 3)
finetuning            classification heads, LoRA and instruction tuning                         (chapters 6, 8)
widgets               the interactive labs, each leaving a static picture                       (chapters 1-8)
experiments           one module per experiment a chapter runs:
  abilities           held-out tests of what a model can do untrained for it, against count models (chapters 2-4, 6-8)
  linear_probe        logistic regression on a layer's hidden states: is an ability written there?
  sample_efficiency   fine-tuned from pretrained against from scratch, by number of labelled examples (chapter 6)
  scaling             a fixed-compute sweep of model sizes, and the laws fitted to losses       (chapter 2)
  attention_probes    the heads that find a pronoun's antecedent, and what switching them off costs (chapters 3, 8)
  few_shot            few-shot prompting, and translation scored two ways                       (chapters 7, 8)
  induction_heads     induction heads appearing suddenly with depth                             (chapter 7)
  in_context_regression  in-context linear regression against least squares                     (chapter 7)
  grokking            modular addition learned long after it was memorised                      (chapter 7)
  tiny_models         small GPTs trained from scratch on chosen documents, once, then cached    (chapter 8)
  memorization        exposure of planted secrets, and deduplication                            (chapter 8)
  differential_privacy  DP-SGD with Opacus: a guarantee per training window, and its price      (chapter 8)
  bias                a learned gender-profession association and counterfactual data           (chapter 8)
  harmful_filter      a fine-tuned harmful-content filter around generation                     (chapter 8)
  watermark           a green-list watermark and its detector                                   (chapter 8)
  preference_tuning   direct preference optimization (DPO) as a loss for the training loop      (chapter 8)
"""
