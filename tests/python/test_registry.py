"""`tfcompress registry` under fire: processes SIGKILLed at random points of
push/promote/rollback, eight concurrent writers, and CLI error handling.

The invariants are checked by reading the registry's files directly (not
through tfcompress): production.json always parses, production is the top of
the stack and its bytes hash to its id, every stored object is complete, and the
history replays to the stack. Models are opaque to the registry, so most of
them here are random bytes named .tflite (1-3 MB, so that operations last long
enough to be killed midway).
Not: a test of model parsing, or of file systems without atomic rename.
"""
import hashlib
import json
import os
import random
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import CLI, FIXTURES, run_cli

ID_LEN = 64


def registry(reg, *args, check=False):
    return run_cli("registry", *args[:1], "--registry", reg, *args[1:], check=check)


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def random_model(path, rng, size):
    path.write_bytes(rng.randbytes(size))
    return path


class Checker:
    """Checks the registry invariants from the files; caches the hash of objects
    that did not change (stored objects are immutable once renamed into place)."""

    def __init__(self, reg):
        self.reg = Path(reg)
        self.verified = {}

    def object_ok(self, oid):
        model = self.reg / "objects" / oid / "model.tflite"
        st = model.stat()
        key = (st.st_ino, st.st_mtime_ns, st.st_size)
        if self.verified.get(oid) != key:
            assert sha256(model) == oid, f"object {oid} does not hash to its id"
            meta = json.loads((self.reg / "objects" / oid / "meta.json").read_text())
            assert meta["sha256"] == oid and meta["size_bytes"] == st.st_size
            self.verified[oid] = key

    def check(self):
        objects = self.reg / "objects"
        stored = {p.name for p in objects.iterdir()} if objects.exists() else set()
        for oid in stored:
            assert len(oid) == ID_LEN, f"unexpected entry objects/{oid}"
            self.object_ok(oid)  # every object that appears is complete
        path = self.reg / "production.json"
        if not path.exists():
            return None
        state = json.loads(path.read_text())  # never half-written
        assert state["schema"] == "tfcompress-registry" and state["schema_version"] == 1
        prod, stack, history = state["production"], state["stack"], state["history"]
        if prod is None:
            assert stack == []
        else:
            assert stack and stack[-1] == prod
            assert sha256(objects / prod / "model.tflite") == prod
        for oid in stack:
            assert oid in stored, f"stack names {oid}, not stored"
        assert [h["seq"] for h in history] == list(range(1, len(history) + 1))
        assert replay(history) == stack, "history does not replay to the stack"
        return state


def replay(history):
    """The stack that the history's promotions and rollbacks produce; also checks
    that each entry's `previous` is the production before it."""
    stack = []
    for h in history:
        assert h["previous"] == (stack[-1] if stack else None), f"seq {h['seq']}: previous {h['previous']}"
        if h["action"] == "promote":
            stack.append(h["id"])
        elif h["action"] == "rollback":
            assert h["id"] in stack[:-1], f"seq {h['seq']}: rollback to {h['id']}, not below the top"
            while stack[-1] != h["id"]:
                stack.pop()
        else:
            assert h["action"] == "push"
    return stack


def stored_ids(reg):
    objects = Path(reg) / "objects"
    return sorted(p.name for p in objects.iterdir() if len(p.name) == ID_LEN)


@pytest.fixture
def models(tmp_path):
    """Three small fixture models and three random-byte models of 1-3 MB."""
    small = sorted((FIXTURES / "models").glob("*.tflite"))[:3]
    rng = random.Random(1234)
    big = [random_model(tmp_path / f"big{i}.tflite", rng, rng.randint(1 << 20, 3 << 20)) for i in range(3)]
    return small + big


def test_sigkill_at_random_points_keeps_registry_consistent(cli, tmp_path, models):
    reg = tmp_path / "reg"
    for m in models:
        registry(reg, "push", m, check=True)
    registry(reg, "promote", models[0], check=True)
    registry(reg, "promote", models[3], check=True)
    checker = Checker(reg)
    checker.check()
    rng = random.Random(42)
    fresh = tmp_path / "fresh"
    fresh.mkdir()

    def command(i):
        kind = rng.choice(["push", "push", "promote", "promote", "rollback"])
        if kind == "push":
            model = random_model(fresh / f"m{i}.tflite", rng, rng.randint(1 << 20, 2 << 20))
            return ["push", "--registry", reg, model, "--name", f"m{i}"]
        if kind == "promote":
            target = rng.choice(models) if rng.random() < 0.3 else rng.choice(stored_ids(reg))[: rng.choice([8, 64])]
            return ["promote", "--registry", reg, target]
        return ["rollback", "--registry", reg]

    # Typical duration of an operation, process start included.
    durations = []
    for i in range(6):
        t0 = time.perf_counter()
        subprocess.run([str(CLI), "registry", *map(str, command(1000 + i))], capture_output=True, timeout=60)
        durations.append(time.perf_counter() - t0)
    window = sorted(durations)[len(durations) // 2] * 1.2

    outcomes = {"killed": 0, "finished": 0}
    t_start = time.monotonic()
    for i in range(200):
        args = command(i)
        proc = subprocess.Popen([str(CLI), "registry", *map(str, args)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0, window))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            outcomes["killed"] += 1
        else:
            outcomes["finished"] += 1
        proc.wait(timeout=60)
        try:
            checker.check()
        except AssertionError as e:
            raise AssertionError(f"iteration {i} ({' '.join(map(str, args[:1]))}, {outcomes}): {e}") from e
        if args[0] == "push":
            args[-3].unlink(missing_ok=True)  # keep the disk use down
    elapsed = time.monotonic() - t_start
    print(f"\n200 kills: window {window * 1000:.0f} ms, {outcomes}, {elapsed:.1f} s")
    assert outcomes["killed"] >= 40, f"too few operations were interrupted: {outcomes}"

    # Leftovers of killed processes are collected once their owners are gone.
    time.sleep(2.1)
    gc = registry(reg, "gc", "--json", check=True)
    assert json.loads(gc.stdout)["removed_artifacts"] == []
    assert list((reg / "tmp").iterdir()) == []
    assert not list(reg.glob("**/*.tmp-*"))
    verify = registry(reg, "verify", check=False)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    checker.check()


def test_eight_concurrent_writers(cli, tmp_path, models):
    reg = tmp_path / "reg"
    base = registry(reg, "push", models[0], check=True).stdout.strip()
    registry(reg, "promote", base, check=True)
    rng = random.Random(7)
    own = [random_model(tmp_path / f"w{i}.tflite", rng, rng.randint(256 << 10, 1 << 20)) for i in range(8)]
    barrier = threading.Barrier(8)
    results = [None] * 8

    def writer(i):
        barrier.wait()
        out = {"push": registry(reg, "push", own[i], "--name", f"w{i}", "--json")}
        out["promote"] = registry(reg, "promote", json.loads(out["push"].stdout)["id"], "--json")
        if i % 3 == 0:
            out["rollback"] = registry(reg, "rollback", "--json")
        results[i] = out

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for i, out in enumerate(results):
        assert out is not None, f"writer {i} did not finish"
        for step, proc in out.items():
            assert proc.returncode == 0, f"writer {i} {step}: {proc.stderr}"

    state = Checker(reg).check()
    history = state["history"]
    assert [h["seq"] for h in history] == list(range(1, 1 + 1 + 1 + 8 + 8 + 3))
    ids = [sha256(m) for m in own]
    pushed = [h["id"] for h in history if h["action"] == "push"]
    promoted = [h["id"] for h in history if h["action"] == "promote"]
    assert sorted(pushed) == sorted([base, *ids])
    assert sorted(promoted) == sorted([base, *ids])
    assert sum(h["action"] == "rollback" for h in history) == 3
    last_switch = [h for h in history if h["action"] in ("promote", "rollback")][-1]
    assert state["production"] == state["stack"][-1] == last_switch["id"]
    assert json.loads(registry(reg, "list", "--json", check=True).stdout)["production"] == state["production"]
    verify = registry(reg, "verify", "--json")
    assert verify.returncode == 0, verify.stdout
    assert json.loads(verify.stdout)["artifacts_checked"] == 9


def assert_clean_error(proc, code, text):
    assert proc.returncode == code, f"exit {proc.returncode}, expected {code}: {proc.stdout}{proc.stderr}"
    assert text in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    assert proc.returncode not in (3, -signal.SIGSEGV, -signal.SIGABRT)


def test_cli_errors_are_clear(cli, tmp_path, models):
    reg = tmp_path / "reg"
    assert_clean_error(registry(reg, "list"), 2, "no registry there")
    assert_clean_error(registry(reg, "rollback"), 2, "no registry there")
    assert_clean_error(registry(reg, "push", tmp_path / "missing.tflite"), 2, "no such file")
    a = registry(reg, "push", models[0], check=True).stdout.strip()
    assert len(a) == ID_LEN
    assert_clean_error(registry(reg, "promote", "0123456789abcdef" if not a.startswith("0123") else "fedcba98"), 2,
                       "no artifact with id")
    assert_clean_error(registry(reg, "promote", "abc"), 2, "too short")
    assert_clean_error(registry(reg, "promote", tmp_path / "nope.tflite"), 2, "no such model file")
    assert_clean_error(registry(reg, "rollback"), 1, "no previous production")
    registry(reg, "promote", a[:6], check=True)
    assert_clean_error(registry(reg, "rollback"), 1, "no previous production")
    bad_report = tmp_path / "report.txt"
    bad_report.write_text("accuracy: 0.9")
    assert_clean_error(registry(reg, "push", models[1], "--report", bad_report), 2, "not valid JSON")

    # A flipped byte is found by verify (exit 1) and refused by promote.
    b = registry(reg, "push", models[1], check=True).stdout.strip()
    model_b = reg / "objects" / b / "model.tflite"
    data = bytearray(model_b.read_bytes())
    data[len(data) // 2] ^= 0x40
    model_b.write_bytes(bytes(data))
    verify = registry(reg, "verify")
    assert verify.returncode == 1 and b in verify.stdout and "corrupted" in verify.stdout
    assert_clean_error(registry(reg, "promote", b), 1, "refusing to promote")
    assert json.loads((reg / "production.json").read_text())["production"] == a

    # A corrupt production.json is reported, never overwritten by a reader.
    (reg / "production.json").write_text('{"schema": "tfcompress-registry", "production": ')
    assert_clean_error(registry(reg, "list"), 2, "production.json")
    assert_clean_error(registry(reg, "promote", a), 2, "production.json")
    assert registry(reg, "verify").returncode == 1

    help_text = run_cli("registry", "--help").stdout
    assert "Example" in help_text and "rollback" in help_text
    assert "Example" in run_cli("registry", "promote", "--help").stdout
    assert run_cli("registry", check=False).returncode == 2


def test_registry_dir_from_environment_and_list(cli, tmp_path, models):
    reg = tmp_path / "envreg"
    env = {**os.environ, "TFC_REGISTRY": str(reg)}
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"accuracy": 0.91}))
    out = subprocess.run([str(CLI), "registry", "push", str(models[0]), "--report", str(report)], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    oid = out.stdout.strip()
    assert (reg / "objects" / oid / "report.json").exists()
    subprocess.run([str(CLI), "registry", "promote", oid], env=env, check=True, capture_output=True, timeout=60)
    listed = subprocess.run([str(CLI), "registry", "list"], env=env, capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0
    assert f"* {oid[:12]}" in listed.stdout
    assert str(reg / "objects" / oid / "model.tflite") in listed.stdout
    js = json.loads(registry(reg, "list", "--json", check=True).stdout)
    assert js["production_model"].endswith(f"{oid}/model.tflite")
    assert js["artifacts"][0]["report"].endswith("report.json")
