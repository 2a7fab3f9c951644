"""``keras.utils.Progbar``: a text progress bar for custom loops (Keras 3's API and output).

``update(current, values)`` sets the step and running values; ``add(n, values)`` advances.
A value is averaged over the steps it was reported for (weighted by the steps each report
covers) unless its name is a *stateful* metric, shown as last reported; on the final update
every value is shown as reported then (Keras 3's rule).

Output, as Keras 3 writes it:

* ``verbose=1`` on a terminal (or in Jupyter): one line redrawn in place (``\\r``) at most
  every ``interval`` seconds, ``12/50 ━━━━━━━━━━━━━━━━━━━━ 3s 25ms/step - loss: 0.4210``
  (bold count, green/grey bar, ETA until the end, then the elapsed time).
* ``verbose=1`` when the stream is not a terminal (a log file, CI): nothing until the end,
  then the ``verbose=2`` line, so logs hold plain lines. (Keras 3 means to do this too, but
  its ``"posix" in sys.modules`` test makes it redraw with ``\\b``/``\\r`` on Linux and macOS.)
* ``verbose=2``: one line at the end, ``50/50 - 1s - 25ms/step - loss: 0.4210``.

Numbers: ``{:.4f}``, or ``{:.4e}`` when ``|v| <= 1e-3`` (``verbose=2``: when ``v <= 1e-3``,
as Keras). Time per step leaves out the first step once there are more (it includes
start-up work), and is written in s, ms or us.
"""
import math
import os
import sys
import time

import numpy as np


def format_time(seconds_per_unit, unit_name):
    """``" 25ms/step"``: seconds (>= 1 or exactly 0), milliseconds or microseconds."""
    if seconds_per_unit >= 1 or seconds_per_unit == 0:
        return f" {seconds_per_unit:.0f}s/{unit_name}"
    if seconds_per_unit >= 1e-3:
        return f" {seconds_per_unit * 1e3:.0f}ms/{unit_name}"
    return f" {seconds_per_unit * 1e6:.0f}us/{unit_name}"


def _format_eta(eta):
    if eta > 3600:
        return "%d:%02d:%02d" % (eta // 3600, (eta % 3600) // 60, eta % 60)
    if eta > 60:
        return "%d:%02d" % (eta // 60, eta % 60)
    return "%ds" % eta


def is_dynamic(stream):
    """Whether ``stream`` can redraw a line in place: a terminal, Jupyter, PyCharm."""
    return (getattr(stream, "isatty", lambda: False)() or "ipykernel" in sys.modules
            or "PYCHARM_HOSTED" in os.environ)


class Progbar:
    """Args: target (int | None: unknown length), width (20), verbose (0, 1 or 2), interval
    (0.05 s between redraws), stateful_metrics (names shown as last value) or
    stateless_metrics (the only names averaged), unit_name ("step"), stream (default
    ``sys.stdout`` at the time of writing)."""

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None,
                 stateless_metrics=None, unit_name="step", stream=None):
        if target is not None and target < 0:
            raise ValueError(f"Progbar: target must be None or >= 0, received {target}")
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError("Progbar: give stateful_metrics or stateless_metrics, not both "
                             f"(received {stateful_metrics!r} and {stateless_metrics!r})")
        self.target, self.width, self.verbose = target, width, verbose
        self.interval, self.unit_name = interval, unit_name
        self.stateful_metrics = None if stateless_metrics is not None \
            else set(stateful_metrics or ())
        self.stateless_metrics = None if stateless_metrics is None else set(stateless_metrics)
        self._stream = stream
        self._values, self._values_order = {}, []
        self._seen_so_far = 0
        self._start = time.time()
        self._last_update = 0.0
        self._time_after_first_step = None
        self._prev_total_width = 0

    @property
    def stream(self):
        return self._stream if self._stream is not None else sys.stdout

    def _stateless(self, name):
        if self.stateful_metrics is not None:
            return name not in self.stateful_metrics
        return name in self.stateless_metrics

    def update(self, current, values=None, finalize=None):
        """Set the step to ``current`` and record ``values`` (a list of (name, value));
        ``finalize`` (default: ``current >= target``) ends the bar."""
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for name, value in values or []:
            if name not in self._values_order:
                self._values_order.append(name)
            if self._stateless(name) and not finalize:
                steps = max(current - self._seen_so_far, 1)
                total, count = self._values.get(name, [0.0, 0])
                self._values[name] = [total + value * steps, count + steps]
            else:
                self._values[name] = [value, 1]
        self._seen_so_far = current
        now = time.time()
        per_unit = self._step_duration(current, now)
        if self.verbose == 1:
            if now - self._last_update < self.interval and not finalize:
                return                                  # redrawn at most every interval
            if is_dynamic(self.stream):
                self._write(self._dynamic_line(current, now, per_unit, finalize))
            elif finalize:
                self._write(self._plain_line(current, now, per_unit, strict=False))
        elif self.verbose == 2 and finalize:
            self._write(self._plain_line(current, now, per_unit, strict=True))
        self._last_update = now

    def add(self, n, values=None):
        """Advance by ``n`` steps."""
        self.update(self._seen_so_far + n, values)

    def value(self, name):
        """The value shown now for ``name`` (its running average, or its last value)."""
        total, count = self._values[name]
        return float(np.mean(total)) / max(count, 1)

    # ------------------------------------------------------------------ internals
    def _write(self, text):
        self.stream.write(text)
        self.stream.flush()

    def _step_duration(self, current, now):
        """Seconds per step, leaving out the first step once later ones are seen."""
        if not current:
            return 0.0
        if self._time_after_first_step is not None and current > 1:
            per_unit = (now - self._time_after_first_step) / (current - 1)
        else:
            per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return per_unit

    def _metrics(self, strict):
        text = ""
        for name in self._values_order:
            text += f" - {name}:"
            value = self._values[name]
            if isinstance(value, list):
                avg = float(np.mean(value[0])) / max(1, value[1])
                small = avg <= 1e-3 if strict else abs(avg) <= 1e-3
                text += f" {avg:.4e}" if small else f" {avg:.4f}"
            else:
                text += f" {value}"
        return text

    def _dynamic_line(self, current, now, per_unit, finalize):
        special = 0                                  # width taken by ANSI escapes
        if self.target:
            digits = int(math.log10(self.target)) + 1
            bar = f"\x1b[1m{current:{digits}d}/{self.target}\x1b[0m "
            done = int(self.width * float(current) / self.target)
            special += 8
            if done > 0:
                bar += f"\33[32m{'━' * done}\x1b[0m"
                special += 9
            bar += f"\33[37m{'━' * (self.width - done)}\x1b[0m"
            special += 9
        else:
            bar = "%7d/Unknown" % current
        if self.target and not finalize:
            info = f" \x1b[1m{_format_eta(per_unit * (self.target - current))}\x1b[0m"
        else:
            info = f" \x1b[1m{now - self._start:.0f}s\x1b[0m"
        special += 8
        info += format_time(per_unit, self.unit_name) + self._metrics(strict=False)
        width = len(bar) + len(info) - special
        pad = " " * max(self._prev_total_width - width, 0)
        self._prev_total_width = width
        return "\r" + bar + info + pad + ("\n" if finalize else "")

    def _plain_line(self, current, now, per_unit, strict):
        """``50/50 - 1s - 25ms/step - loss: 0.4210`` (nothing for an empty target with
        ``verbose=2``, as Keras; an unknown target counts the steps seen)."""
        target = self.target if self.target is not None or strict else current
        if not target:
            return ""
        digits = int(math.log10(target)) + 1
        return (f"{current:{digits}d}/{target} - {now - self._start:.0f}s -"
                + format_time(per_unit, self.unit_name) + self._metrics(strict) + "\n")
