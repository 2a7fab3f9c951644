"""``keras.utils.Progbar``: a text progress bar for custom loops (Keras 3's API).

``update(current, values)`` sets the step and running values; ``add(n, values)`` advances.
Values are averaged over the steps they were reported for (weighted by the steps each
report covers), except ``stateful_metrics``, which show their last value. verbose=1 redraws
one line (``\\r``) at most every ``interval`` seconds; verbose=2 prints one line at the end.
"""
import sys
import time

import numpy as np


class Progbar:
    """Args: target (int | None: unknown length), width (20), verbose (1), interval (0.05 s),
    stateful_metrics (names shown as last value), unit_name ("step")."""

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None,
                 unit_name="step", stream=None):
        if target is not None and target < 0:
            raise ValueError(f"Progbar: target must be None or >= 0, received {target}")
        self.target, self.width, self.verbose = target, width, verbose
        self.interval, self.unit_name = interval, unit_name
        self.stateful_metrics = set(stateful_metrics or ())
        self.stream = stream or sys.stdout
        self._values, self._seen_so_far = {}, 0
        self._start = self._last_update = time.time()
        self._finalized = False

    def update(self, current, values=None, finalize=None):
        """Set the step to ``current`` and record ``values`` (a list of (name, value))."""
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for name, value in values or []:
            value = float(np.mean(np.asarray(value)))
            if name in self.stateful_metrics:
                self._values[name] = [value, 1]
            else:
                steps = max(current - self._seen_so_far, 1)
                total, count = self._values.get(name, [0.0, 0])
                self._values[name] = [total + value * steps, count + steps]
        self._seen_so_far = current
        now = time.time()
        if self.verbose == 1 and (finalize or now - self._last_update >= self.interval):
            self.stream.write("\r" + self._line(current, now) + ("\n" if finalize else ""))
            self.stream.flush()
            self._last_update = now
        elif self.verbose == 2 and finalize and not self._finalized:
            self.stream.write(self._line(current, now) + "\n")
            self.stream.flush()
        self._finalized = self._finalized or finalize

    def add(self, n, values=None):
        """Advance by ``n`` steps."""
        self.update(self._seen_so_far + n, values)

    def value(self, name):
        """The current shown value of ``name``."""
        total, count = self._values[name]
        return total / max(count, 1)

    def _line(self, current, now):
        if self.target is not None:
            digits = len(str(self.target))
            done = int(self.width * current / self.target) if self.target else self.width
            bar = "=" * max(done - 1, 0) + (">" if done < self.width else "=") \
                if done else ""
            head = f"{current:{digits}d}/{self.target} [{bar:<{self.width}}]"
        else:
            head = f"{current:7d}/Unknown"
        elapsed = now - self._start
        per = elapsed / current if current else 0.0
        timing = f" {elapsed:.0f}s {per * 1e3:.0f}ms/{self.unit_name}"
        metrics = "".join(f" - {k}: {self.value(k):.4f}" for k in self._values)
        return head + timing + metrics
