"""`tfcompress train` as a job users run: checkpoints that resume exactly, Ctrl-C leaving the last checkpoint and
no output, validation and the best model, early stopping, frozen parameters, the output running in LiteRT, and a
float16 .tflite trained in float32 and written back as float16."""
import json
import signal
import subprocess
import sys

import numpy as np
import pytest

from conftest import CLI, ROOT, litert_run, run_cli

sys.path.insert(0, str(ROOT / "tests" / "data" / "train"))
import make_train_models as M  # noqa: E402


@pytest.fixture(scope="module")
def mlp(tmp_path_factory):
    d = tmp_path_factory.mktemp("mlp")
    model = M.build("mlp", 0)
    model.save(d / "mlp.keras")
    x, y = M.random_data("mlp", 512, seed=1)
    np.savez(d / "train.npz", x=x, y=y)
    xv, yv = M.random_data("mlp", 128, seed=2)
    np.savez(d / "val.npz", x=xv, y=yv)
    return d


def train(d, *extra, lr=0.01, check=True):
    return run_cli("train", d / "mlp.keras", "--data", d / "train.npz", "--batch", 32, "--lr", lr,
                   "--optimizer", "adam", "--seed", 3, *extra, check=check)


def test_resume_continues_exactly(mlp, tmp_path):
    straight = tmp_path / "straight.tflite"
    train(mlp, "--epochs", 3, "-o", straight)
    ckpt = tmp_path / "ckpt"
    first = tmp_path / "first.tflite"
    train(mlp, "--epochs", 1, "--checkpoint", ckpt, "-o", first)
    assert (ckpt / "checkpoint.npz").exists() and (ckpt / "best.tflite").exists()
    resumed = tmp_path / "resumed.tflite"
    train(mlp, "--epochs", 3, "--checkpoint", ckpt, "--resume", "-o", resumed)
    assert resumed.read_bytes() == straight.read_bytes()


def test_resume_mid_epoch_continues_exactly(mlp, tmp_path):
    straight = tmp_path / "straight.tflite"
    train(mlp, "--epochs", 2, "-o", straight)
    ckpt = tmp_path / "ckpt"
    stopped = train(mlp, "--epochs", 2, "--steps", 21, "--checkpoint", ckpt, "-o", tmp_path / "part.tflite")
    assert stopped.returncode == 0
    resumed = tmp_path / "resumed.tflite"
    train(mlp, "--epochs", 2, "--checkpoint", ckpt, "--resume", "-o", resumed)
    assert resumed.read_bytes() == straight.read_bytes()


def test_ctrl_c_keeps_the_checkpoint_and_writes_no_output(mlp, tmp_path):
    x, y = M.random_data("mlp", 20000, seed=4)
    np.savez(tmp_path / "big.npz", x=x, y=y)
    out, ckpt = tmp_path / "out.tflite", tmp_path / "ckpt"
    proc = subprocess.Popen([str(CLI), "train", str(mlp / "mlp.keras"), "--data", str(tmp_path / "big.npz"),
                             "--batch", "8", "--epochs", "50", "--checkpoint", str(ckpt), "-o", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    import time
    deadline = time.time() + 60
    while not (ckpt / "checkpoint.npz").exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert (ckpt / "checkpoint.npz").exists(), "no checkpoint after the first epoch"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err
    assert "interrupted" in err and "--resume" in err, err
    assert not out.exists()
    state = np.load(ckpt / "checkpoint.npz")
    assert int(state["loop:batches_done"]) > 0 or int(state["loop:epoch"]) > 0


def test_validation_keeps_the_best_epoch_and_stops_early(mlp, tmp_path):
    out = tmp_path / "out.tflite"
    proc = train(mlp, "--epochs", 30, "--val", mlp / "val.npz", "--early-stopping", 2, "--json",
                 "-o", out, lr=0.05)
    s = json.loads(proc.stdout)
    losses = [e["val_loss"] for e in s["epoch_records"]]
    best = int(np.argmin(losses))
    assert s["best_epoch"] == best + 1
    assert s["stopped_early"] and len(losses) == best + 3
    # The written model is the best epoch's: its validation loss, recomputed by LiteRT, is the lowest one.
    xv, yv = np.load(mlp / "val.npz")["x"], np.load(mlp / "val.npz")["y"]
    logits = np.concatenate([litert_run(out, [xv[i:i + 1]])[0] for i in range(len(xv))])
    z = logits - logits.max(axis=1, keepdims=True)
    ce = np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(yv)), yv])
    assert abs(ce - losses[best]) <= 1e-4 * abs(losses[best]), (ce, losses[best])


def test_frozen_parameters_keep_their_values(mlp, tmp_path):
    grads = tmp_path / "g.npz"
    run_cli("train", mlp / "mlp.keras", "--data", mlp / "train.npz", "--batch", 32, "--gradients", grads,
            "--freeze", "*fc1*")
    names = set(np.load(grads).keys())
    assert not any("fc1" in n for n in names) and any("fc2" in n for n in names), names
    before, after = tmp_path / "before.tflite", tmp_path / "after.tflite"
    run_cli("import", mlp / "mlp.keras", "-o", before)
    train(mlp, "--epochs", 1, "--freeze", "*fc1*", "-o", after)
    # fc1 keeps its weights; fc2 moved.
    from ai_edge_litert.interpreter import Interpreter

    def weights(path, fragment):
        it = Interpreter(model_path=str(path))
        for t in it.get_tensor_details():
            if fragment in t["name"] and len(t["shape"]) == 2:
                try:
                    return it.get_tensor(t["index"])
                except ValueError:
                    continue
        raise AssertionError(f"no tensor {fragment} in {path}")

    assert np.array_equal(weights(before, "fc1/MatMul"), weights(after, "fc1/MatMul"))
    assert not np.array_equal(weights(before, "fc2/MatMul"), weights(after, "fc2/MatMul"))


def test_float16_tflite_trains_in_float32_and_stays_float16(tmp_path):
    from ai_edge_litert.interpreter import Interpreter
    from conftest import FMNIST_DIR, read_idx
    if not (FMNIST_DIR / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip("no Fashion-MNIST")
    src = ROOT / "fixtures" / "models" / "cnn_fmnist_fp16.tflite"
    x = read_idx(FMNIST_DIR / "t10k-images-idx3-ubyte.gz")[:256].astype(np.float32)[..., None] / 255.0
    y = read_idx(FMNIST_DIR / "t10k-labels-idx1-ubyte.gz")[:256].astype(np.int32)
    np.savez(tmp_path / "d.npz", x=x, y=y)
    out = tmp_path / "out.tflite"
    run_cli("train", src, "--data", tmp_path / "d.npz", "--batch", 32, "--epochs", 1, "--lr", 1e-3, "-o", out)

    def dtypes(path):
        it = Interpreter(model_path=str(path))
        return sorted(str(t["dtype"].__name__) for t in it.get_tensor_details() if len(t["shape"]) >= 2 and
                      "float16" in str(t["dtype"]))

    assert dtypes(out) == dtypes(src) and dtypes(src), (dtypes(src), dtypes(out))
    assert out.stat().st_size == pytest.approx(src.stat().st_size, rel=0.02)
    assert not np.array_equal(litert_run(out, [x[:1]])[0], litert_run(src, [x[:1]])[0])
