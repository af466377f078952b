import json

import pytest
from PIL import Image

from agent_rl.core.types import Episode, Turn
from agent_rl.errors import UserError
from agent_rl.rollout.store import EpisodeStore


def episode(episode_id: str, images=()) -> Episode:
    turns = [
        Turn(
            messages=[{"role": "user", "content": "hi"}],
            response=f"answer {i}",
            reward=-1.0,
            images=list(images),
        )
        for i in range(2)
    ]
    return Episode(episode_id=episode_id, task={"cards": ["A", "2"]}, seed=3, turns=turns, success=True)


def test_append_then_read_round_trips_and_tracks_ids(tmp_path):
    store = EpisodeStore(tmp_path / "run")
    assert store.read() == [] and len(store) == 0
    store.append(episode("a"))
    store.append(episode("b"))
    again = EpisodeStore(tmp_path / "run")
    assert [e.episode_id for e in again.read()] == ["a", "b"]
    assert again.finished_ids() == {"a", "b"}
    assert again.read()[0] == episode("a")
    assert again.read()[0].total_reward == -2.0


def test_images_are_png_files_referenced_by_relative_path_once_per_object(tmp_path):
    store = EpisodeStore(tmp_path)
    table, other = Image.new("RGB", (40, 30), "green"), Image.new("RGB", (10, 10), "red")
    store.append(episode("ep/1", images=[table, other]))
    stored = store.read()[0]
    first, second = stored.turns[0].images
    assert stored.turns[1].images == [first, second]  # the same objects are saved once
    assert not first.startswith("/") and first.endswith(".png") and first != second
    with Image.open(store.image_path(first)) as png:
        assert png.size == (40, 30) and png.getpixel((0, 0)) == (0, 128, 0)
    assert len(list((tmp_path / "images").rglob("*.png"))) == 2


def test_torn_last_line_is_skipped_and_cut_before_the_next_append(tmp_path):
    store = EpisodeStore(tmp_path)
    store.append(episode("a"))
    line = json.dumps(episode("b").to_dict())
    with store.path.open("a") as f:
        f.write(line[: len(line) // 2])  # a crash in the middle of writing "b"
    torn = EpisodeStore(tmp_path)
    assert [e.episode_id for e in torn.read()] == ["a"]
    torn.append(episode("c"))
    assert [e.episode_id for e in EpisodeStore(tmp_path).read()] == ["a", "c"]
    assert all(json.loads(x) for x in store.path.read_text().splitlines())


def test_corrupt_middle_line_is_a_clear_error(tmp_path):
    store = EpisodeStore(tmp_path)
    store.append(episode("a"))
    with store.path.open("a") as f:
        f.write("{not json\n")
    store.append(episode("b"))
    with pytest.raises(UserError, match="line 2 is corrupt"):
        EpisodeStore(tmp_path).read()


def test_unserialisable_infos_are_stored_as_plain_json(tmp_path):
    from fractions import Fraction

    import numpy as np

    item = episode("a")
    item.turns[0].info = {"value": Fraction(1, 3), "array": np.arange(3), "count": np.int64(4)}
    EpisodeStore(tmp_path).append(item)
    assert EpisodeStore(tmp_path).read()[0].turns[0].info == {"value": "1/3", "array": [0, 1, 2], "count": 4}


def test_a_finished_episode_missing_only_its_newline_survives_the_next_append(tmp_path):
    store = EpisodeStore(tmp_path)
    store.append(episode("a"))
    store.append(episode("b"))
    store.path.write_bytes(store.path.read_bytes()[:-1])  # crash after the line, before its newline
    rerun = EpisodeStore(tmp_path)
    assert rerun.finished_ids() == {"a", "b"}
    rerun.append(episode("c"))
    assert [e.episode_id for e in EpisodeStore(tmp_path).read()] == ["a", "b", "c"]


def test_store_cut_at_every_byte_offset_keeps_every_whole_episode(tmp_path):
    """Non-ASCII responses are stored as is: some cuts fall inside a multibyte character."""
    store = EpisodeStore(tmp_path)
    items = [episode(f"ep-{i}") for i in range(2)]
    for item in items:
        item.turns[0].response = "résumé ♠ 漢字"
        store.append(item)
    data = store.path.read_bytes()
    ends = [i + 1 for i, byte in enumerate(data) if byte == ord("\n")]
    for cut in range(len(data) + 1):
        store.path.write_bytes(data[:cut])
        whole = sum(end - 1 <= cut for end in ends)  # a record is whole once its closing brace is in
        rerun = EpisodeStore(tmp_path)
        assert rerun.read() == items[:whole], cut
        rerun.append(episode("new"))
        assert [e.episode_id for e in EpisodeStore(tmp_path).read()] == [
            *(e.episode_id for e in items[:whole]),
            "new",
        ], cut
