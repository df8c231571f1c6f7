"""The CLI: every command is listed and documented."""

from click.testing import CliRunner

from otklik.cli import main

REQUIRED = {"demo", "crawl", "classify", "queue", "report", "desk", "migrate", "sources", "route", "orders", "templates"}


def test_help_lists_the_subcommands():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert REQUIRED <= set(main.commands)
    for name in REQUIRED:
        assert name in result.output


def _walk(group, prefix=()):
    for name, cmd in group.commands.items():
        yield (*prefix, name), cmd
        if hasattr(cmd, "commands"):
            yield from _walk(cmd, (*prefix, name))


def test_every_command_has_help_text():
    for path, cmd in _walk(main):
        assert (cmd.help or "").strip(), f"`otklik {' '.join(path)}` has no help text"
        result = CliRunner().invoke(main, [*path, "--help"])
        assert result.exit_code == 0, path


def test_classify_file_mode_needs_output(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1, "text": "x"}\n')
    result = CliRunner().invoke(main, ["classify", "--input", str(src)])
    assert result.exit_code != 0 and "--output is required" in result.output
