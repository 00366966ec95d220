"""The handlers of the ``raf`` subcommands, one per command, by family.

A handler takes the parsed options (``args``), converts them, calls the library and prints
its records; it computes nothing itself.  The families live in their own modules:
:mod:`~rafmodel.cli.theory_commands` (theory, bayes, capacity, optimal-lambda, rate),
:mod:`~rafmodel.cli.simulation_commands` (simulate, compare, facts),
:mod:`~rafmodel.cli.data_commands` (realdata, network),
:mod:`~rafmodel.cli.figure_commands` (figure, report),
:mod:`~rafmodel.cli.explore_commands` (explore) and
:mod:`~rafmodel.cli.sweep_commands` (sweep run, status, export).
"""

from __future__ import annotations

from .data_commands import cmd_network, cmd_realdata
from .explore_commands import cmd_explore
from .figure_commands import cmd_figure, cmd_report
from .simulation_commands import cmd_compare, cmd_facts, cmd_simulate
from .sweep_commands import cmd_sweep_export, cmd_sweep_run, cmd_sweep_status
from .theory_commands import cmd_bayes, cmd_capacity, cmd_optimal_lambda, cmd_rate, cmd_theory

__all__ = ["cmd_theory", "cmd_bayes", "cmd_capacity", "cmd_optimal_lambda", "cmd_rate", "cmd_simulate",
           "cmd_compare", "cmd_realdata", "cmd_network", "cmd_figure", "cmd_report", "cmd_sweep_run",
           "cmd_sweep_status", "cmd_sweep_export", "cmd_explore", "cmd_facts"]
