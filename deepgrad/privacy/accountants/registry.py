"""The accountants by mechanism name (Opacus's ``create_accountant``/``register_accountant``)."""
from deepgrad.privacy.accountants.accountant import IAccountant
from deepgrad.privacy.accountants.gdp import GaussianAccountant
from deepgrad.privacy.accountants.prv import PRVAccountant
from deepgrad.privacy.accountants.rdp import RDPAccountant

_ACCOUNTANTS = {"rdp": RDPAccountant, "gdp": GaussianAccountant, "prv": PRVAccountant}


def register_accountant(mechanism, accountant, force=False):
    """Make ``create_accountant(mechanism)`` build ``accountant`` (an IAccountant subclass);
    an existing name needs ``force=True``."""
    if not (isinstance(accountant, type) and issubclass(accountant, IAccountant)):
        raise TypeError(f"register_accountant: expected an IAccountant subclass, received "
                        f"{accountant!r}")
    if mechanism in _ACCOUNTANTS and not force:
        raise ValueError(f"Accountant for mechanism {mechanism} is already registered")
    _ACCOUNTANTS[mechanism] = accountant


def create_accountant(mechanism):
    """A new accountant for ``mechanism`` ('rdp', 'prv', 'gdp' or a registered name)."""
    if mechanism in _ACCOUNTANTS:
        return _ACCOUNTANTS[mechanism]()
    raise ValueError(f"Unexpected accounting mechanism: {mechanism!r}; expected one of "
                     f"{sorted(_ACCOUNTANTS)}")
