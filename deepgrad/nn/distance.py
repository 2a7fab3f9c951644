"""Distance modules: ``CosineSimilarity`` and ``PairwiseDistance`` (math in
:mod:`deepgrad.ops.distance`)."""
from deepgrad.nn.module import Module
from deepgrad.ops.distance import cosine_similarity, pairwise_distance


class CosineSimilarity(Module):
    """cos(x1, x2) along ``dim``: sum (x1 / max(||x1||, eps)) (x2 / max(||x2||, eps)).

    Shape: x1 (*1, D, *2), x2 broadcastable to it -> (*1, *2).
    """

    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """||x1 - x2 + eps||_p over the last dim. The degree is stored as ``norm``, as PyTorch.

    Shape: (N, D) or (D,) inputs -> (N,) or () ((N, 1) / (1,) with ``keepdim``).
    """

    def __init__(self, p=2.0, eps=1e-6, keepdim=False):
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1, x2):
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
