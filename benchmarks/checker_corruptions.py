"""Share of random single-token corruptions of targets that the checker rejects, per config.

Usage: python benchmarks/checker_corruptions.py [--examples 2000] [--seed 0]

Each corruption replaces, drops or inserts one token (drawn from the tokens of the source and the
structural tokens). A corruption the checker accepts is not necessarily a checker error: it can be
another valid answer. In induct_hard and induct_v3 no case is given, so dropping a math symbol next
to a rule symbol, or inserting one, gives a rule whose symbol's value absorbs (or gives up) that
symbol, which is just as valid; the tests in tests/test_checker.py pin such cases by hand.
"""

from __future__ import annotations

import argparse
import random

import lime_datasets

STRUCTURAL = [":", "[", "]", ",", "->", "<space>"]


def corrupt(tokens: list[str], alphabet: list[str], rng: random.Random) -> list[str]:
    out = list(tokens)
    position = rng.randrange(len(out))
    kind = rng.choice(("replace", "drop", "insert"))
    if kind == "drop" and len(out) > 1:
        del out[position]
    elif kind == "insert":
        out.insert(position, rng.choice(alphabet))
    else:
        out[position] = rng.choice([t for t in alphabet if t != out[position]])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    print(f"{'config':<24}{'corruptions':>12}{'rejected':>10}")
    for name in lime_datasets.CONFIGS:
        rows = lime_datasets.generate(name, "test", 0, min(args.examples, 1000)).to_pylist()
        rows += lime_datasets.generate(name, "validation", 0, max(0, args.examples - 1000)
                                       ).to_pylist()
        rejected = 0
        for row in rows:
            alphabet = sorted(set(row["source"].split()) | set(STRUCTURAL))
            answer = " ".join(corrupt(row["target"].split(), alphabet, rng))
            if answer == row["target"]:
                answer += " ]"
            rejected += not lime_datasets.check(row["task"], row["source"], answer)
        print(f"{name:<24}{len(rows):>12,}{rejected / len(rows):>10.1%}")


if __name__ == "__main__":
    main()
