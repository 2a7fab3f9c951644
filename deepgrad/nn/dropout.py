"""``Dropout``: inverted dropout in training mode, identity in eval mode."""
from deepgrad import ops
from deepgrad.nn.module import Module


class Dropout(Module):
    """Zero each element with probability ``p`` during training, scale the rest by 1/(1-p)."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: probability has to be between 0 and 1, received p={p}")
        self.p, self.inplace = p, inplace

    def forward(self, x):
        return ops.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"
