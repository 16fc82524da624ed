"""Regenerate the README's study tables and figures from fresh runs.

Run from the repository root::

    python docs/regenerate_readme.py             # digits table and docs/digits/*.png
    python docs/regenerate_readme.py --course    # also the course table, docs/course/
                                                 # (needs $SKNN_SCRATCH_DATA; ~3 min)

The digits table is the output of ``sknn-scratch study`` at its defaults (the
command the README shows); tests/test_readme_study.py checks that the README
still matches a fresh run of it.
"""

import argparse
import contextlib
import io
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
#: The README's digits table sits in the fenced block right after this line.
DIGITS_MARK = "<!-- table: sknn-scratch study (python docs/regenerate_readme.py) -->"
COURSE_MARK = ("<!-- table: sknn-scratch study --dataset catvnoncat --preset course "
               "(python docs/regenerate_readme.py --course) -->")
#: The course table's rows: study model name -> README label (the course's own
#: numbers come from study.COURSE_RESULTS).
COURSE_LABELS = {
    "logistic regression": "logistic regression, zeros, lr 0.005 × 2000",
    "2-layer net [7]": "2-layer net [7] relu, random ×0.01, lr 0.0075 × 2500",
    "4-layer net [20, 7, 5]": "4-layer net [20, 7, 5] relu, randn/√n, lr 0.0075 × 2500",
}


def run_study(argv, tmp):
    """``sknn-scratch study`` in a folder inside ``tmp``: (printed table, folder)."""
    from sknn_scratch.cli import main

    out = Path(tmp) / "study"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["study", "--quiet", "--out", str(out), *argv])
    if code != 0:
        raise SystemExit(f"sknn-scratch study {' '.join(argv)} failed (exit {code})")
    return printed.getvalue().strip(), out


def replace_block(text, mark, block):
    """``text`` with the block after ``mark`` (fenced or a markdown table) replaced."""
    start = text.index(mark) + len(mark) + 1
    if text.startswith("```", start):
        end = text.index("```\n", start + 3) + 4
    else:  # a markdown table: up to the first blank line
        end = text.index("\n\n", start) + 1
    return text[:start] + block + text[end:]


def course_table(results):
    from sknn_scratch.studies.study import COURSE_RESULTS

    lines = ["| model (train / test accuracy %) | sknn_scratch | course |", "|---|---|---|"]
    for model in results["models"]:
        name = model["name"]
        course = " / ".join(f"{accuracy:g}" for accuracy in COURSE_RESULTS[name])
        lines.append(f"| {COURSE_LABELS[name]} | {100 * model['train_accuracy']:.1f} / "
                     f"{100 * model['test_accuracy']:.1f} | {course} |")
    return "\n".join(lines) + "\n"


def copy_figures(study, target):
    target.mkdir(parents=True, exist_ok=True)
    for png in study.glob("*.png"):
        shutil.copyfile(png, target / png.name)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--course", action="store_true",
                        help="also rerun the course preset (needs the cat files)")
    args = parser.parse_args(argv)
    text = README.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="sknn-readme-") as tmp:
        table, study = run_study([], tmp)
        text = replace_block(text, DIGITS_MARK, f"```\n{table}\n```\n")
        copy_figures(study, ROOT / "docs" / "digits")
    if args.course:
        with tempfile.TemporaryDirectory(prefix="sknn-readme-") as tmp:
            _, study = run_study(["--dataset", "catvnoncat", "--preset", "course",
                                  "--no-learning-curve"], tmp)
            results = json.loads((study / "results.json").read_text(encoding="utf-8"))
            text = replace_block(text, COURSE_MARK, course_table(results))
            copy_figures(study, ROOT / "docs" / "course")
    README.write_text(text, encoding="utf-8")
    print(f"updated {README.relative_to(ROOT)}", file=sys.stderr)
    return 0


def readme_table(text=None):
    """The digits table as the README holds it (for the test)."""
    text = README.read_text(encoding="utf-8") if text is None else text
    start = text.index(DIGITS_MARK) + len(DIGITS_MARK) + 1
    match = re.match(r"```\n(.*?)```\n", text[start:], re.S)
    return match.group(1).strip()


if __name__ == "__main__":
    sys.exit(main())
