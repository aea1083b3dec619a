"""The solver: OR-Tools min-cost flow and CP-SAT over candidate arcs."""

from matcher.solver.solve import Objective, Solution, SolverOptions, solve

__all__ = ["Objective", "Solution", "SolverOptions", "solve"]
