"""examples/fedavg_mnist.py in its quick form on real MNIST (skipped without the data)."""
import re

from example_run import needs_mnist, run_json


def _run(*args):
    return run_json("fedavg_mnist.py", *args)


@needs_mnist
def test_fedavg_quick_run_learns_on_the_pathological_split():
    lines, result = _run("--quick")
    assert set(result) == {"algorithm", "rounds_to_97", "rounds_to_99", "final_accuracy"}
    assert result["algorithm"] == "fedavg"
    rounds = [line for line in lines if re.match(r"round \d+ ", line)]
    assert len(rounds) == 3 and all("test accuracy" in r and "drift" in r for r in rounds)
    assert "100 clients" not in lines[1] and "10 clients x 2 shards of 50" in lines[1]
    # 3 rounds of 10 clients holding ~2 digits each, 100 images per client: seeds 0/1/2
    # reach 0.28/0.24/0.42 with deepgrad; chance on these 500 test images is ~0.11
    assert result["final_accuracy"] > 0.18, lines


@needs_mnist
def test_fedprox_keras_quick_run():
    lines, result = _run("--quick", "--algorithm", "fedprox", "--front", "keras",
                         "--rounds", "1")
    assert result["algorithm"] == "fedprox" and result["rounds_to_97"] is None
    assert lines[0].startswith("FedProx(") and "proximal_mu=0.01" in lines[0]
    assert "keras CNN of 1,663,370 parameters" in lines[0]
    assert 0.0 <= result["final_accuracy"] <= 1.0
