"""``get_noise_multiplier``: the noise for a target (epsilon, delta), as Opacus computes it.

The search is Opacus's, step for step, so that the same accountant gives the same sigma:
double sigma_high from 20 until epsilon(sigma_high) <= target, then bisect [sigma_low,
sigma_high] until target - epsilon(sigma_high) <= epsilon_tolerance, always keeping the
upper end (the noise that is known to meet the budget). With the default tolerance 0.01
the returned sigma spends between target - 0.01 and target.
"""
from deepgrad.privacy.accountants.registry import create_accountant

MAX_SIGMA = 1e6


def get_noise_multiplier(*, target_epsilon, target_delta, sample_rate, epochs=None, steps=None,
                         accountant="rdp", epsilon_tolerance=0.01, **kwargs):
    r"""The smallest noise multiplier (within ``epsilon_tolerance``) that spends at most
    ``target_epsilon`` at ``target_delta`` after the given training length.

    Args:
        target_epsilon (float): the budget's epsilon (> 0).
        target_delta (float): the budget's delta.
        sample_rate (float): q, usually batch_size / dataset size.
        epochs (float, optional) / steps (int, optional): exactly one of them;
            steps = int(epochs / sample_rate).
        accountant (str): 'rdp', 'prv' or 'gdp'.
        epsilon_tolerance (float): precision of the bisection in epsilon.
        **kwargs: passed on to the accountant's ``get_epsilon`` (e.g. ``alphas`` for RDP,
            ``eps_error`` for PRV).
    Returns:
        float: sigma.
    Raises:
        ValueError: if both or neither of epochs/steps are given, or if no sigma up to
            1e6 meets the budget ("The privacy budget is too low.").
    """
    if (steps is None) == (epochs is None):
        raise ValueError("get_noise_multiplier takes as input EITHER a number of steps or a "
                         f"number of epochs (received epochs={epochs!r}, steps={steps!r})")
    if target_epsilon <= 0:
        raise ValueError(f"get_noise_multiplier: target_epsilon must be > 0, received "
                         f"{target_epsilon!r}")
    if not 0 < sample_rate <= 1:
        raise ValueError(f"get_noise_multiplier: sample_rate must be in (0, 1], received "
                         f"{sample_rate!r}")
    if steps is None:
        steps = int(epochs / sample_rate)
    acc = create_accountant(mechanism=accountant)
    eps_high = float("inf")
    sigma_low, sigma_high = 0, 10
    while eps_high > target_epsilon:
        sigma_high = 2 * sigma_high
        acc.history = [(sigma_high, sample_rate, steps)]
        eps_high = acc.get_epsilon(delta=target_delta, **kwargs)
        if sigma_high > MAX_SIGMA:
            raise ValueError(f"The privacy budget is too low: no noise multiplier up to "
                             f"{MAX_SIGMA:g} reaches epsilon={target_epsilon} at delta="
                             f"{target_delta} in {steps} steps of sample rate {sample_rate}.")
    while target_epsilon - eps_high > epsilon_tolerance:
        sigma = (sigma_low + sigma_high) / 2
        acc.history = [(sigma, sample_rate, steps)]
        eps = acc.get_epsilon(delta=target_delta, **kwargs)
        if eps < target_epsilon:
            sigma_high, eps_high = sigma, eps
        else:
            sigma_low = sigma
    return sigma_high
