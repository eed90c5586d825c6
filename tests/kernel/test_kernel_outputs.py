"""Kernel messages become the outputs Jupyter would store, and outputs print as terminal text."""

from __future__ import annotations

from link_ls.kernel.outputs import OutputCollector, output_text


def test_consecutive_chunks_of_one_stream_merge_like_jupyter() -> None:
    seen: list[dict[str, object]] = []
    c = OutputCollector(seen.append)
    c.handle("stream", {"name": "stdout", "text": "a\n"})
    c.handle("stream", {"name": "stdout", "text": "b\n"})
    c.handle("stream", {"name": "stderr", "text": "e\n"})
    c.handle("stream", {"name": "stdout", "text": "c\n"})
    assert c.snapshot() == (
        {"output_type": "stream", "name": "stdout", "text": "a\nb\n"},
        {"output_type": "stream", "name": "stderr", "text": "e\n"},
        {"output_type": "stream", "name": "stdout", "text": "c\n"},
    )
    # the callback sees each chunk as it came, for live display
    assert [o["text"] for o in seen] == ["a\n", "b\n", "e\n", "c\n"]


def test_clear_output_wait_clears_when_the_next_output_arrives() -> None:
    c = OutputCollector()
    c.handle("stream", {"name": "stdout", "text": "0%\n"})
    c.handle("clear_output", {"wait": True})
    assert len(c.outputs) == 1
    c.handle("stream", {"name": "stdout", "text": "100%\n"})
    assert c.snapshot() == ({"output_type": "stream", "name": "stdout", "text": "100%\n"},)
    c.handle("clear_output", {"wait": False})
    assert c.snapshot() == ()


def test_update_display_data_replaces_the_displayed_output() -> None:
    c = OutputCollector()
    c.handle(
        "display_data",
        {"data": {"text/plain": "1"}, "metadata": {}, "transient": {"display_id": "d"}},
    )
    c.handle("stream", {"name": "stdout", "text": "x\n"})
    c.handle(
        "update_display_data",
        {"data": {"text/plain": "2"}, "metadata": {}, "transient": {"display_id": "d"}},
    )
    assert c.snapshot()[0] == {
        "output_type": "display_data",
        "data": {"text/plain": "2"},
        "metadata": {},
    }


def test_images_print_as_one_line_placeholders() -> None:
    png = {"output_type": "display_data", "data": {"image/png": "A" * 4096}, "metadata": {}}
    assert output_text(png) == "[image/png image, 3.0 KB]"
    both = {
        "output_type": "display_data",
        "data": {"image/png": "AAAA", "text/plain": "<Figure size 640x480>"},
        "metadata": {},
    }
    assert output_text(both) == "[image/png image] <Figure size 640x480>"
    html = {"output_type": "display_data", "data": {"text/html": "<b>x</b>"}, "metadata": {}}
    assert output_text(html) == "[text/html output]"


def test_tracebacks_lose_colour_codes_off_a_terminal() -> None:
    err = {
        "output_type": "error",
        "ename": "ValueError",
        "evalue": "boom",
        "traceback": ["\x1b[31mValueError\x1b[39m: boom"],
    }
    assert output_text(err) == "ValueError: boom"
    assert "\x1b[31m" in output_text(err, ansi=True)
