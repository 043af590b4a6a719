"""parse_batch throughput of the Python binding (compare: bench/batch_throughput.cc).

    python3 bench/python_throughput.py MODEL TEXTS_FILE [--threads N] [--rounds R] [--batch B]

Same protocol as the C++ program: warm-up, then R rounds over all texts in batches of B, best
round; one JSON line with texts per second and peak RSS (the interpreter included).
"""
import argparse
import json
import resource
import time

import jointnlu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("texts")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--batch", type=int, default=64)
    a = ap.parse_args()
    with open(a.texts, encoding="utf-8") as f:
        texts = [line.rstrip("\n") for line in f if line.strip()]
    batches = [texts[i:i + a.batch] for i in range(0, len(texts), a.batch)]
    parser = jointnlu.Parser(a.model, threads=a.threads)
    for b in batches:
        parser.parse_batch(b)
    best = 0.0
    for _ in range(a.rounds):
        start = time.perf_counter()
        for b in batches:
            parser.parse_batch(b)
        best = max(best, len(texts) / (time.perf_counter() - start))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"api": "python", "texts": len(texts), "batch": a.batch,
                      "threads": a.threads, "rounds": a.rounds,
                      "texts_per_s": round(best, 1), "peak_rss_mb": round(rss, 1)}))


if __name__ == "__main__":
    main()
