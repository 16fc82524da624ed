"""README.md's Python blocks run, in order, and print what the README says they print.

The blocks are executed top to bottom in one namespace, in a fresh interpreter
whose working folder is a temporary one (the cat path comes from
``SKNN_SCRATCH_DATA``); the dask-cluster block, which needs a running scheduler,
is skipped. Three kinds of claims are checked against that run:

- ``expr  # 0.70`` (or ``# True``): a number after an expression statement, to its
  printed digits, or a boolean;
- ``expr`` followed by ``# TypeName(...; ...)``: the value's repr up to the ``...``;
- a Python block followed by a plain ```` ``` ```` block: ``str`` of the block's last
  expression, line for line.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.M | re.S)
SKIP = "scheduler-host"  # a block that needs a dask cluster

_DRIVER = r"""
import ast, json, sys, warnings
warnings.simplefilter("ignore")
blocks = json.loads(sys.stdin.read())
namespace, values = {}, []

def record(block, line, value):
    values.append((block, line, value))

for i, source in enumerate(blocks):
    tree = ast.parse(source)
    for k, node in enumerate(tree.body):
        if isinstance(node, ast.Expr):  # keep the value of every expression statement
            call = ast.Call(ast.Name("__record__", ast.Load()),
                            [ast.Constant(i), ast.Constant(node.end_lineno), node.value], [])
            tree.body[k] = ast.Expr(call)
    ast.fix_missing_locations(tree)
    namespace["__record__"] = record
    exec(compile(tree, f"README block {i}", "exec"), namespace)

out = [[b, line, repr(v), str(v), isinstance(v, (int, float)) and float(v),
        type(v).__name__] for b, line, v in values]
print(json.dumps(out))
"""


def _blocks(cat_dir):
    """README's Python blocks to run, each with the plain block that follows it."""
    text = README.read_text()
    blocks, outputs = [], []
    matches = list(FENCE.finditer(text))
    for m, following in zip(matches, matches[1:] + [None]):
        if m.group(1) != "python" or SKIP in m.group(2):
            continue
        blocks.append(m.group(2).replace("path/to/catvnoncat", str(cat_dir)))
        adjacent = following is not None and not text[m.end():following.start()].strip()
        outputs.append(following.group(2) if adjacent and following.group(1) == "" else None)
    return blocks, outputs


@pytest.fixture(scope="module")
def run(catvnoncat_dir, tmp_path_factory):
    blocks, outputs = _blocks(catvnoncat_dir)
    done = subprocess.run([sys.executable, "-c", _DRIVER], input=json.dumps(blocks),
                          capture_output=True, text=True, timeout=600,
                          cwd=tmp_path_factory.mktemp("readme"))
    assert done.returncode == 0, done.stderr[-3000:]
    values = json.loads(done.stdout.strip().splitlines()[-1])
    return blocks, outputs, values


def _value(values, block, line):
    found = [v for v in values if v[0] == block and v[1] == line]
    assert found, f"README block {block}, line {line}: no expression value recorded"
    return found[-1]


def test_readme_has_blocks_to_run(run):
    blocks, _, values = run
    assert len(blocks) >= 5 and values


def test_numbers_claimed_after_expressions(run):
    blocks, _, values = run
    n_claims = 0
    for b, source in enumerate(blocks):
        for line_no, line in enumerate(source.splitlines(), start=1):
            code, _, comment = line.partition("  # ")
            claim = comment.strip()
            if claim in ("True", "False"):
                assert _value(values, b, line_no)[2] == claim, (code.strip(), claim)
                n_claims += 1
                continue
            if not re.fullmatch(r"-?\d+\.\d+", claim):
                continue
            got = _value(values, b, line_no)[4]
            decimals = len(claim.split(".")[1])
            assert round(got, decimals) == float(claim), (code.strip(), got, claim)
            n_claims += 1
    assert n_claims >= 1


def test_reprs_claimed_in_comments(run):
    blocks, _, values = run
    n_claims = 0
    for b, source in enumerate(blocks):
        lines = source.splitlines()
        for line_no, (line, after) in enumerate(zip(lines, lines[1:]), start=1):
            claim = after.strip()
            if not re.match(r"# \w+\(", claim):
                continue
            _, _, got_repr, _, _, type_name = _value(values, b, line_no)
            assert claim[2:].startswith(type_name + "(")
            prefix = claim[2:].split("...")[0]
            assert got_repr.startswith(prefix), (got_repr, claim)
            n_claims += 1
    assert n_claims >= 1


def test_outputs_shown_after_blocks(run):
    blocks, outputs, values = run
    n_claims = 0
    for b, (source, shown) in enumerate(zip(blocks, outputs)):
        if shown is None:
            continue
        last = max(v[1] for v in values if v[0] == b)
        got = _value(values, b, last)[3]
        assert [ln.rstrip() for ln in got.strip().splitlines()] == \
            [ln.rstrip() for ln in shown.strip().splitlines()]
        n_claims += 1
    assert n_claims >= 1
