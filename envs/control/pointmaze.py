"""OGBench's `navigate` and `stitch` data collection for pointmaze, with our own waypoint controller.

OGBench collects `pointmaze-*-{navigate,stitch}-v0` with a scripted noisy expert (its `generate_locomaze.py`):
every step it takes the next cell on a BFS shortest path from the point's cell to the goal's cell, points the
action at that cell's centre (a unit vector; the point moves 0.2·action per step), adds Gaussian noise (σ 0.5
for pointmaze) and clips to [-1, 1]. An episode starts in a uniformly random free cell and runs for a fixed
number of steps.
- navigate: the goal is a random "vertex" cell (a free cell that is not the middle of a straight corridor),
  and a new one is drawn whenever the goal is reached. Official sets: 1000 episodes of 1001 steps (medium,
  large, teleport), 500 of 2001 (giant).
- stitch: the goal is a random cell 4 BFS steps from the start, kept to the end (the point waits there), so
  that long paths exist only as stitched pieces. Official sets: 5000 episodes of 201 steps.

The BFS runs once per goal cell and is cached; on the same maze it picks the same next cell as the env's own
`get_oracle_subgoal` (same neighbour order, same strict tie-break).
"""

from __future__ import annotations

from collections import deque
from typing import Literal

import gymnasium
import numpy as np

Cell = tuple[int, int]
MazeStyle = Literal["navigate", "stitch"]
MAZE_NOISE = 0.5  # OGBench's Gaussian action noise for the pointmaze datasets
STITCH_CELLS = 4  # a stitch episode's goal is this many cells (BFS steps) from its start
_NEIGHBOURS = ((-1, 0), (0, -1), (1, 0), (0, 1))  # the env's order, which decides ties


class WaypointController:
    """Steers a point through a maze grid (0 = free, 1 = wall) towards a goal position, cell by cell."""

    def __init__(self, maze_map: np.ndarray, unit: float, offset: tuple[float, float]):
        self.maze_map = np.asarray(maze_map)
        self.unit, self.offset = unit, offset
        rows, cols = self.maze_map.shape
        self.free_cells: list[Cell] = [
            (i, j) for i in range(rows) for j in range(cols) if not self.maze_map[i, j]
        ]
        self.vertex_cells: list[Cell] = [c for c in self.free_cells if not self._is_corridor(c)]
        self._distances: dict[Cell, np.ndarray] = {}

    @classmethod
    def for_env(cls, env: gymnasium.Env) -> WaypointController:
        maze = env.unwrapped
        return cls(maze.maze_map, maze._maze_unit, (maze._offset_x, maze._offset_y))

    def _is_free(self, i: int, j: int) -> bool:
        rows, cols = self.maze_map.shape
        return 0 <= i < rows and 0 <= j < cols and not self.maze_map[i, j]

    def _is_corridor(self, cell: Cell) -> bool:
        """Free on both sides along one axis and walled on both sides along the other."""
        i, j = cell
        vertical = self._is_free(i - 1, j) and self._is_free(i + 1, j)
        horizontal = self._is_free(i, j - 1) and self._is_free(i, j + 1)
        walled_sides = not self._is_free(i, j - 1) and not self._is_free(i, j + 1)
        walled_ends = not self._is_free(i - 1, j) and not self._is_free(i + 1, j)
        return (vertical and walled_sides) or (horizontal and walled_ends)

    def cell(self, xy: np.ndarray) -> Cell:
        """The grid cell (row, column) of a position (the env's `xy_to_ij`)."""
        return (
            int((xy[1] + self.offset[1] + 0.5 * self.unit) / self.unit),
            int((xy[0] + self.offset[0] + 0.5 * self.unit) / self.unit),
        )

    def centre(self, cell: Cell) -> np.ndarray:
        return np.array([cell[1] * self.unit - self.offset[0], cell[0] * self.unit - self.offset[1]])

    def distances(self, goal: Cell) -> np.ndarray:
        """BFS steps from every cell to `goal`; inf for walls and cells that cannot reach it."""
        if goal not in self._distances:
            dist = np.full(self.maze_map.shape, np.inf)
            dist[goal] = 0
            queue = deque([goal])
            while queue:
                i, j = queue.popleft()
                for di, dj in _NEIGHBOURS:
                    n = (i + di, j + dj)
                    if self._is_free(*n) and dist[n] == np.inf:
                        dist[n] = dist[i, j] + 1
                        queue.append(n)
            self._distances[goal] = dist
        return self._distances[goal]

    def next_cell(self, cell: Cell, goal: Cell) -> Cell:
        """The first neighbour strictly closer to the goal; the cell itself when none is (at the goal)."""
        dist, best = self.distances(goal), cell
        for di, dj in _NEIGHBOURS:
            n = (cell[0] + di, cell[1] + dj)
            if self._is_free(*n) and dist[n] < dist[best]:
                best = n
        return best

    def direction(self, xy: np.ndarray, goal_xy: np.ndarray) -> np.ndarray:
        """Unit vector from the point towards the centre of the next cell on its way to the goal."""
        target = self.centre(self.next_cell(self.cell(xy), self.cell(goal_xy)))
        delta = target - np.asarray(xy)
        return delta / (np.linalg.norm(delta) + 1e-6)

    def action(
        self, xy: np.ndarray, goal_xy: np.ndarray, noise: float, rng: np.random.Generator
    ) -> np.ndarray:
        return np.clip(self.direction(xy, goal_xy) + rng.normal(0.0, noise, 2), -1.0, 1.0)


def make_maze_env(env_id: str, episode_steps: int) -> gymnasium.Env:
    """The maze env as OGBench collects data in it: no termination at the goal, fixed length."""
    return gymnasium.make(env_id, terminate_at_goal=False, max_episode_steps=episode_steps)


def _first_goal(
    controller: WaypointController, style: MazeStyle, start: Cell, rng: np.random.Generator
) -> Cell:
    """navigate: any vertex cell; stitch: a cell exactly STITCH_CELLS away (the start itself when none is)."""
    if style == "navigate":
        return controller.vertex_cells[rng.integers(len(controller.vertex_cells))]
    dist = controller.distances(start)
    near = [c for c in controller.free_cells if dist[c] == STITCH_CELLS]
    return near[rng.integers(len(near))] if near else start


def collect_maze_episode(
    env: gymnasium.Env,
    controller: WaypointController,
    style: MazeStyle,
    episode_steps: int,
    noise: float,
    seed: int,
) -> dict[str, list]:
    """One episode from a random start cell. navigate: a new random vertex-cell goal each time the goal is
    reached; stitch: one nearby goal, and the point stays there once it arrives."""
    rng = np.random.default_rng(seed)
    np.random.seed(seed)  # the env draws the start and goal jitter from numpy's global generator
    maze = env.unwrapped
    start = controller.free_cells[rng.integers(len(controller.free_cells))]
    goal = _first_goal(controller, style, start, rng)
    ob, _ = env.reset(seed=seed, options={"task_info": {"init_ij": start, "goal_ij": goal}})
    steps: dict[str, list] = {"observations": [], "actions": [], "terminals": [], "qpos": [], "qvel": []}
    for t in range(episode_steps):
        action = controller.action(maze.get_xy(), np.asarray(maze.cur_goal_xy), noise, rng)
        next_ob, _, _, _, info = env.step(action)
        if info["success"] and style == "navigate":
            maze.set_goal(goal_ij=_first_goal(controller, style, start, rng))
        steps["observations"].append(ob)
        steps["actions"].append(action)
        steps["terminals"].append(t == episode_steps - 1)
        steps["qpos"].append(info["prev_qpos"])
        steps["qvel"].append(info["prev_qvel"])
        ob = next_ob
    return steps
