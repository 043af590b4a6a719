#!/usr/bin/env python3
"""A count-based cloze baseline for masked-LM pretraining: how well can a character be guessed from its
neighbours alone? Character counts come from all but a held-out sample of the corpus lines; every position
of the held-out lines is then masked alone and predicted by (1) the most frequent character, (2) the most
frequent successor of the left neighbour, (3) the most frequent character between the two neighbours,
backing off to (2) and (1). A masked LM that reads its context should beat (2) early in pretraining.

Usage: bench/cloze_baseline.py [CORPUS_GLOB] [HELD_OUT_LINES]   (default ../shared/corpus/zh/*.txt 2000)"""
import collections, glob, random, sys

pattern = sys.argv[1] if len(sys.argv) > 1 else "../shared/corpus/zh/*.txt"
held_out = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
lines = []
for path in sorted(glob.glob(pattern)):
    with open(path, encoding="utf-8", errors="replace") as f:
        lines.extend(line.strip() for line in f if line.strip())
if len(lines) <= held_out:
    sys.exit(f"cloze_baseline: {len(lines)} lines in {pattern}: need more than {held_out}")
random.seed(0)
random.shuffle(lines)
test, train = lines[:held_out], lines[held_out:]

both = collections.defaultdict(collections.Counter)
left = collections.defaultdict(collections.Counter)
unigram = collections.Counter()
for line in train:
    s = "^" + line + "$"  # sentence boundaries count as neighbours
    for i in range(1, len(s) - 1):
        both[(s[i - 1], s[i + 1])][s[i]] += 1
        left[s[i - 1]][s[i]] += 1
        unigram[s[i]] += 1
top = unigram.most_common(1)[0][0]

n = hit_unigram = hit_left = hit_both = 0
for line in test:
    s = "^" + line + "$"
    for i in range(1, len(s) - 1):
        n += 1
        gold = s[i]
        hit_unigram += gold == top
        l = left.get(s[i - 1])
        guess_left = l.most_common(1)[0][0] if l else top
        hit_left += gold == guess_left
        b = both.get((s[i - 1], s[i + 1]))
        hit_both += gold == (b.most_common(1)[0][0] if b else guess_left)
print(f"{n} held-out positions ({held_out} lines, {len(train)} for counts): most frequent character "
      f"{100 * hit_unigram / n:.1f}%, left neighbour {100 * hit_left / n:.1f}%, both neighbours "
      f"{100 * hit_both / n:.1f}%")
