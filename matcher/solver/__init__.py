"""The solver: OR-Tools min-cost flows over candidate arcs, exact under the budget."""

from matcher.solver.solve import Objective, Solution, SolverOptions, solve

__all__ = ["Objective", "Solution", "SolverOptions", "solve"]
