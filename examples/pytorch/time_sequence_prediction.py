"""PyTorch's time-sequence example (pytorch/examples, ``time_sequence_prediction``) on deepgrad.

Two stacked ``nn.LSTMCell`` (51 units) in float64 learn sine waves, trained with
**L-BFGS** (``optim.LBFGS(lr=0.8)`` and a closure), then predict 1,000 future steps. The
tutorial's data script saves the waves with ``torch.save`` and its training script reads
them with ``torch.load``; both steps are here, through deepgrad's PyTorch-format files
(``traindata.pt`` loads in PyTorch too). matplotlib's plots are left out; the test loss is
printed at every step.

    python examples/pytorch/time_sequence_prediction.py               # 15 L-BFGS steps
    python examples/pytorch/time_sequence_prediction.py --steps 2 --length 200   # quick run
"""
import argparse
import os
import tempfile

import numpy as np

import deepgrad as torch
import deepgrad.nn as nn
import deepgrad.optim as optim


class Sequence(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm1 = nn.LSTMCell(1, 51)
        self.lstm2 = nn.LSTMCell(51, 51)
        self.linear = nn.Linear(51, 1)

    def forward(self, input, future=0):
        outputs = []
        h_t = torch.zeros(input.size(0), 51, dtype=torch.double)
        c_t = torch.zeros(input.size(0), 51, dtype=torch.double)
        h_t2 = torch.zeros(input.size(0), 51, dtype=torch.double)
        c_t2 = torch.zeros(input.size(0), 51, dtype=torch.double)

        for input_t in input.split(1, dim=1):
            h_t, c_t = self.lstm1(input_t, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        for _ in range(future):     # if we should predict the future
            h_t, c_t = self.lstm1(output, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        return torch.cat(outputs, dim=1)


def generate_sine_wave(path, length):
    """The tutorial's ``generate_sine_wave.py``: 100 shifted sine waves of period 2*pi*20."""
    np.random.seed(2)
    T, N = 20, 100
    x = np.empty((N, length), "int64")
    x[:] = np.array(range(length)) + np.random.randint(-4 * T, 4 * T, N).reshape(N, 1)
    data = np.sin(x / 1.0 / T).astype("float64")
    torch.save(data, open(path, "wb"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=15, help="steps to run")
    parser.add_argument("--length", type=int, default=1000, help="length of each wave")
    parser.add_argument("--future", type=int, default=1000, help="steps predicted")
    opt = parser.parse_args()

    path = os.path.join(tempfile.mkdtemp(), "traindata.pt")
    generate_sine_wave(path, opt.length)

    np.random.seed(0)
    torch.manual_seed(0)
    # a NumPy array inside the file: weights_only=True refuses NumPy's reconstructors
    # unless they are allowlisted, exactly as torch.load does; this file is our own.
    data = torch.load(path, weights_only=False)
    input = torch.from_numpy(data[3:, :-1])
    target = torch.from_numpy(data[3:, 1:])
    test_input = torch.from_numpy(data[:3, :-1])
    test_target = torch.from_numpy(data[:3, 1:])

    seq = Sequence()
    seq.double()
    criterion = nn.MSELoss()
    optimizer = optim.LBFGS(seq.parameters(), lr=0.8)
    for i in range(opt.steps):
        print("STEP: ", i)

        def closure():
            optimizer.zero_grad()
            out = seq(input)
            loss = criterion(out, target)
            print("loss:", loss.item())
            loss.backward()
            return loss

        optimizer.step(closure)
        with torch.no_grad():
            future = opt.future
            pred = seq(test_input, future=future)
            loss = criterion(pred[:, :-future], test_target)
            print("test loss:", loss.item())
    print(f"Final test loss: {loss.item():.6g}")
