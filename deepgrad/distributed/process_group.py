"""Process groups on MPI: ``init_process_group``, ranks, sizes, sub-groups, barriers.

The processes are the MPI launcher's (``mpirun -n N python train.py``, ``srun``, an MPI
operator on Kubernetes): MPI has already connected them when the script starts, so
:func:`init_process_group` needs no address. It duplicates ``MPI.COMM_WORLD`` (deepgrad's
messages never mix with the script's own MPI calls), records rank and world size, splits
off the ranks sharing this node (local rank and size), and installs an exception hook:
an exception no one catches on any rank prints its traceback and calls ``MPI_Abort``,
which stops every rank of the job, so a failing rank never leaves the others waiting in
a collective.

PyTorch's rendezvous arguments are accepted so torchrun-style scripts run unchanged:
``init_method="env://"`` (or None) reads ``RANK`` and ``WORLD_SIZE`` when they are set and
checks them against MPI's; ``tcp://host:port`` and ``file://path`` name a rendezvous MPI
does not need (``MASTER_ADDR``/``MASTER_PORT`` likewise); ``rank=``/``world_size=`` must
agree with MPI's. ``backend`` is ``"mpi"`` (or ``"gloo"``, PyTorch's CPU backend, whose
collectives MPI provides; ``get_backend()`` then says ``"mpi"``).
"""
import datetime
import os
import sys
import time

from deepgrad.distributed import _mpi
from deepgrad.distributed.work import Work

NON_GROUP_MEMBER = -100


class Backend(str):
    """A backend name (``Backend("mpi") == "mpi"``), with PyTorch's constants."""

    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"
    UCC = "ucc"
    MPI = "mpi"

    def __new__(cls, name):
        if not isinstance(name, str):
            raise ValueError(f"Backend name must be a string, but got: {name!r}")
        return super().__new__(cls, name.lower())


def _check_backend(backend, where):
    if backend is None:
        return Backend.MPI
    name = Backend(backend)
    for part in name.split(","):                   # "cpu:gloo,cuda:nccl"
        kind = part.split(":")[-1].strip()
        if kind in (Backend.MPI, Backend.GLOO):
            continue
        raise ValueError(f"{where}: backend {backend!r} is not available: deepgrad runs its "
                         f"collectives on MPI, on the CPU (use backend='mpi'; 'gloo' is "
                         f"accepted as PyTorch's CPU backend); {kind!r} needs GPUs")
    return Backend.MPI


def _check_timeout(timeout, where):
    if timeout is not None and not isinstance(timeout, datetime.timedelta):
        raise TypeError(f"{where}: timeout must be a datetime.timedelta, received "
                        f"{type(timeout).__name__}")
    return timeout


class ProcessGroup:
    """Ranks that run collectives together: an MPI communicator.

    Attributes:
        comm: the ``mpi4py`` communicator (deepgrad's own duplicate).
        ranks (list of int): the members' global ranks, in group-rank order.
        timeout (datetime.timedelta or None): what :func:`barrier` waits at most.
    """

    def __init__(self, comm, ranks, timeout=None, name=""):
        self.comm, self.ranks, self.timeout, self.group_name = comm, list(ranks), timeout, name
        self._rank, self._size = comm.Get_rank(), comm.Get_size()

    def rank(self):
        """This process's rank in the group."""
        return self._rank

    def size(self):
        """The number of ranks in the group."""
        return self._size

    def name(self):
        return Backend.MPI

    def __repr__(self):
        return f"ProcessGroup(backend='mpi', rank={self._rank}, size={self._size})"


class _State:
    default = None          # the default ProcessGroup (after init_process_group)
    local = None            # (local rank, local size): the ranks sharing this node
    groups = []             # sub-groups made by new_group (freed by destroy)
    previous_hook = None


_state = _State()


class _WorldNamespace:
    """``group.WORLD`` / ``GroupMember.WORLD``: the default group, or None before init."""

    NON_GROUP_MEMBER = NON_GROUP_MEMBER

    @property
    def WORLD(self):
        return _state.default


group = _WorldNamespace()
GroupMember = group


def is_available():
    """True: deepgrad.distributed exists (whether MPI does is :func:`is_mpi_available`)."""
    return True


def is_mpi_available():
    """Whether mpi4py is installed (MPI is not initialised by asking)."""
    return _mpi.is_available()


def is_gloo_available():
    return False


def is_nccl_available():
    return False


def is_ucc_available():
    return False


def is_initialized():
    """Whether :func:`init_process_group` has run (and no destroy since)."""
    return _state.default is not None


def default_group(where):
    """The default group.

    Raises:
        ValueError: before :func:`init_process_group` (PyTorch's message).
    """
    pg = _state.default
    if pg is None:
        raise ValueError(f"Default process group has not been initialized, please make sure "
                         f"to call init_process_group. ({where} was called before "
                         f"deepgrad.distributed.init_process_group(backend='mpi'))")
    return pg


def resolve(group_, where):
    """``group_`` as a ProcessGroup (None: the default one).

    Raises:
        ValueError: no default group yet, or this rank is not a member of ``group_``.
        TypeError: not a group.
    """
    if group_ is None:
        return default_group(where)
    if isinstance(group_, ProcessGroup):
        return group_
    if isinstance(group_, int) and group_ == NON_GROUP_MEMBER:
        raise ValueError(f"{where}: this rank is not a member of the group (new_group "
                         f"returned GroupMember.NON_GROUP_MEMBER here)")
    raise TypeError(f"{where}: group must be a ProcessGroup from new_group() or None, "
                    f"received {type(group_).__name__}")


def _env_int(name):
    value = os.environ.get(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"init_process_group: environment variable {name}={value!r} is not "
                         f"an integer") from None


def _check_init_method(init_method, world_size, rank):
    where = "init_process_group"
    if init_method is not None:
        if not isinstance(init_method, str) or not init_method.startswith(
                ("env://", "tcp://", "file://")):
            raise ValueError(f"{where}: init_method must be 'env://', 'tcp://host:port' or "
                             f"'file://path', received {init_method!r}")
    for name, given in (("world_size", world_size), ("rank", rank)):
        if isinstance(given, bool) or not isinstance(given, int):
            raise TypeError(f"{where}: {name} must be an int, received {type(given).__name__}")


def _check_rendezvous(init_method, world_size, rank, size, me):
    where = "init_process_group"
    if init_method is None or init_method.startswith("env://"):
        for var, mine in (("WORLD_SIZE", size), ("RANK", me)):
            value = _env_int(var)
            if value is not None and value != mine:
                raise ValueError(f"{where}: {var}={value} in the environment, but the MPI "
                                 f"launcher started this process as rank {me} of {size}; "
                                 f"unset {var} or launch with `mpirun -n {value}`")
    for name, given, mine in (("world_size", world_size, size), ("rank", rank, me)):
        if given != -1 and given != mine:
            raise ValueError(f"{where}: {name}={given} was given, but the MPI launcher "
                             f"started this process as rank {me} of {size} (rank and world "
                             f"size come from `mpirun -n N`)")


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name="", pg_options=None, device_id=None):
    """Join the job's processes: the default process group, on MPI.

    Args:
        backend (str, optional): ``"mpi"`` (default) or ``"gloo"`` (PyTorch's CPU backend,
            run here on MPI).
        init_method (str, optional): ``"env://"`` (default; ``RANK``/``WORLD_SIZE`` are
            checked against MPI's when set), ``"tcp://..."`` or ``"file://..."``: the MPI
            launcher has already connected the processes, so no address is needed.
        timeout (datetime.timedelta, optional): the longest :func:`barrier` waits.
        world_size, rank (int): -1, or the values MPI gives (checked).
        store, pg_options: not supported (None).
        group_name (str): a name for the group.
        device_id: None or the CPU.

    Raises:
        RuntimeError: called twice, or mpi4py missing.
        ValueError: a rank or world size other than the launcher's, a GPU backend.
    """
    where = "init_process_group"
    if _state.default is not None:
        raise RuntimeError("trying to initialize the default process group twice!")
    _check_backend(backend, where)
    _check_timeout(timeout, where)
    _check_init_method(init_method, world_size, rank)
    if store is not None or pg_options is not None:
        raise ValueError(f"{where}: store= and pg_options= are not supported: MPI's launcher "
                         f"does the rendezvous (leave them None)")
    if device_id is not None and str(device_id) != "cpu":
        raise ValueError(f"{where}: device_id={device_id!r}: deepgrad runs on the CPU "
                         f"(leave device_id None)")
    MPI = _mpi.mpi()
    world = MPI.COMM_WORLD
    _check_rendezvous(init_method, world_size, rank, world.Get_size(), world.Get_rank())
    comm = world.Dup()
    local = comm.Split_type(MPI.COMM_TYPE_SHARED, key=comm.Get_rank())
    _state.local = (local.Get_rank(), local.Get_size())
    local.Free()
    _state.default = ProcessGroup(comm, range(comm.Get_size()), timeout, group_name)
    _state.previous_hook = sys.excepthook
    sys.excepthook = _abort_on_uncaught


def _abort_on_uncaught(exc_type, exc, tb):
    """Print the traceback, then stop every rank (``MPI_Abort``): no rank is left
    waiting in a collective for one that has died."""
    (_state.previous_hook or sys.__excepthook__)(exc_type, exc, tb)
    pg = _state.default
    if pg is not None and pg.size() > 1:
        print(f"deepgrad.distributed: rank {pg.rank()} of {pg.size()} raised "
              f"{exc_type.__name__}; aborting all ranks (MPI_Abort)", file=sys.stderr)
        sys.stderr.flush()
        _mpi.mpi().COMM_WORLD.Abort(1)


def destroy_process_group(group=None):
    """Free ``group`` (default: the default group and every group made from it).
    A later :func:`init_process_group` starts again."""
    if group is not None and group is not _state.default:
        pg = resolve(group, "destroy_process_group")
        if pg in _state.groups:
            _state.groups.remove(pg)
        pg.comm.Free()
        return
    pg = default_group("destroy_process_group")
    for sub in _state.groups:
        sub.comm.Free()
    _state.groups = []
    pg.comm.Free()
    _state.default = None
    _state.local = None
    if sys.excepthook is _abort_on_uncaught:
        sys.excepthook = _state.previous_hook or sys.__excepthook__


def get_backend(group=None):
    """``"mpi"``."""
    resolve(group, "get_backend")
    return Backend(Backend.MPI)


def get_rank(group=None):
    """This process's rank in ``group`` (default: the world); -1 if not a member."""
    if isinstance(group, int) and group == NON_GROUP_MEMBER:
        default_group("get_rank")
        return -1
    return resolve(group, "get_rank").rank()


def get_world_size(group=None):
    """The number of ranks in ``group`` (default: the world); -1 if not a member."""
    if isinstance(group, int) and group == NON_GROUP_MEMBER:
        default_group("get_world_size")
        return -1
    return resolve(group, "get_world_size").size()


def get_local_rank():
    """This process's rank among the ranks on its node (Horovod's ``local_rank``)."""
    default_group("get_local_rank")
    return _state.local[0]


def get_local_world_size():
    """The number of ranks on this node (Horovod's ``local_size``)."""
    default_group("get_local_world_size")
    return _state.local[1]


_LAUNCHER_LOCAL_RANK = ("LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID",
                        "MV2_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID")


def get_node_local_rank(fallback_rank=None):
    """The local rank on this node from the launcher's environment (``LOCAL_RANK`` as
    torchrun sets it, else Open MPI's, MPICH's, MVAPICH's or Slurm's variable); after
    :func:`init_process_group`, MPI's own count; else ``fallback_rank``.

    Raises:
        RuntimeError: nothing to read and no fallback.
    """
    for name in _LAUNCHER_LOCAL_RANK:
        value = _env_int(name)
        if value is not None:
            return value
    if _state.local is not None:
        return _state.local[0]
    if fallback_rank is not None:
        return int(fallback_rank)
    raise RuntimeError("LOCAL_RANK is not in the environment. Consider passing fallback_rank "
                       "to allow `get_node_local_rank` to work, assuming you are not running "
                       "in a multi-device context and want the code to run locally instead.")


def get_process_group_ranks(group):
    """The global ranks of ``group``'s members, in group-rank order."""
    return list(resolve(group, "get_process_group_ranks").ranks)


def get_global_rank(group, group_rank):
    """The global rank of ``group``'s member ``group_rank``."""
    ranks = resolve(group, "get_global_rank").ranks
    if not 0 <= group_rank < len(ranks):
        raise ValueError(f"get_global_rank: group rank {group_rank} is not part of the group "
                         f"(its ranks are 0..{len(ranks) - 1})")
    return ranks[group_rank]


def get_group_rank(group, global_rank):
    """The rank in ``group`` of global rank ``global_rank``."""
    ranks = resolve(group, "get_group_rank").ranks
    if global_rank not in ranks:
        raise ValueError(f"get_group_rank: global rank {global_rank} is not part of the group "
                         f"(its members are {ranks})")
    return ranks.index(global_rank)


def new_group(ranks=None, timeout=None, backend=None, pg_options=None,
              use_local_synchronization=False, group_desc=None, device_id=None,
              sort_ranks=True):
    """A group of some of the ranks (every rank calls this, as in PyTorch; with
    ``use_local_synchronization=True`` only the members do).

    Returns:
        ProcessGroup on the members; ``GroupMember.NON_GROUP_MEMBER`` elsewhere.
    """
    where = "new_group"
    world = default_group(where)
    _check_backend(backend, where)
    _check_timeout(timeout, where)
    if pg_options is not None or (device_id is not None and str(device_id) != "cpu"):
        raise ValueError(f"{where}: pg_options and device_id are not supported (leave them "
                         f"None)")
    n = world.size()
    members = list(range(n)) if ranks is None else list(ranks)
    for r in members:
        if isinstance(r, bool) or not isinstance(r, int) or not 0 <= r < n:
            raise ValueError(f"{where}: ranks must be ints in [0, {n - 1}], received {r!r}")
    if len(set(members)) != len(members):
        raise ValueError(f"{where}: ranks {members} name a rank twice")
    if sort_ranks:
        members = sorted(members)
    me = world.rank()
    MPI = _mpi.mpi()
    if use_local_synchronization:
        if me not in members:
            return NON_GROUP_MEMBER
        comm = world.comm.Create_group(world.comm.Get_group().Incl(members))
    else:
        inside = me in members
        comm = world.comm.Split(0 if inside else MPI.UNDEFINED,
                                members.index(me) if inside else 0)
        if not inside:
            return NON_GROUP_MEMBER
    pg = ProcessGroup(comm, members, timeout if timeout is not None else world.timeout,
                      group_desc or "")
    _state.groups.append(pg)
    return pg


def barrier(group=None, async_op=False, device_ids=None, timeout=None):
    """Wait until every rank of ``group`` has called it (at most ``timeout``, else the
    group's timeout, when one is set).

    Raises:
        RuntimeError: the timeout passed (naming it).
    """
    pg = resolve(group, "barrier")
    _check_timeout(timeout, "barrier")
    if device_ids:
        raise ValueError(f"barrier: device_ids={device_ids!r} name GPUs; deepgrad runs on "
                         f"the CPU")
    request = pg.comm.Ibarrier()
    if async_op:
        return Work([request])
    limit = timeout if timeout is not None else pg.timeout
    if limit is None:
        request.Wait()
        return None
    deadline = time.monotonic() + limit.total_seconds()
    while not request.Test():
        if time.monotonic() > deadline:
            raise RuntimeError(f"barrier: rank {pg.rank()} waited {limit} without every rank "
                               f"of the group arriving")
        time.sleep(1e-4)
    return None
