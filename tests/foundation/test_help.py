"""Help texts print as written (no emoji, no markup swallowed, no <bool> after flags), and shell
completion can be shown."""

from __future__ import annotations

from typer.testing import CliRunner

from pipedeal.cli import app

runner = CliRunner()


def test_help_prints_the_text_as_written():
    r = runner.invoke(app, ["captable", "--help"], env={"COLUMNS": "120"})
    assert r.exit_code == 0
    assert "A:B:STEP" in r.stdout and "🅱" not in r.stdout
    r = runner.invoke(app, ["book", "--help"], env={"COLUMNS": "120"})
    assert "--check" in r.stdout and "<bool>" not in r.stdout
    r = runner.invoke(app, ["--help"])
    assert "[OPTIONS]" in r.stdout and "--install-completion" in r.stdout


def test_completion_script_is_shown():
    r = runner.invoke(app, ["--show-completion", "bash"])
    assert r.exit_code == 0 and "complete" in r.stdout


def test_the_command_list_is_every_command_with_its_own_help_line():
    """``pipedeal --help`` lists commands from ``app.COMMANDS`` without importing them: the list
    must be exactly the registered commands, each with the first line of its own help."""
    import importlib

    import typer

    from pipedeal.cli.app import COMMANDS

    for module in {m for m, _ in COMMANDS.values()}:
        importlib.import_module(f"pipedeal.cli.{module}")
    group = typer.main.get_group(app)
    assert set(group.commands) == set(COMMANDS)
    for name, (_, line) in COMMANDS.items():
        assert group.commands[name].get_short_help_str(1000) == line, name


def test_help_and_a_light_command_do_not_import_the_heavy_libraries():
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from pipedeal.cli import main\n"
        "sys.argv = ['pipedeal', *sys.argv[1:]]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = ('pandas', 'numba', 'sqlalchemy', 'exchange_calendars', 'fastapi', 'sklearn')\n"
        "print('LOADED', sorted(m for m in heavy if m in sys.modules))\n"
    )
    for argv in (["--help"], ["value", "--help"], ["extract", "--help"], ["serve", "--help"]):
        out = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True,
                             check=True).stdout
        assert "LOADED []" in out, (argv, out[-300:])


def test_slow_work_shows_a_spinner_on_a_terminal_only():
    import io
    import time

    from rich.console import Console

    from pipedeal.cli.output import slow_work_notice

    tty = io.StringIO()
    with slow_work_notice("compiling kernels", after_s=0.05,
                          console=Console(file=tty, force_terminal=True)):
        time.sleep(0.5)
    assert "compiling kernels" in tty.getvalue()
    quick = io.StringIO()
    with slow_work_notice("compiling kernels", after_s=5,
                          console=Console(file=quick, force_terminal=True)):
        pass
    assert "compiling kernels" not in quick.getvalue()
    pipe = io.StringIO()
    with slow_work_notice("compiling kernels", after_s=0.0, console=Console(file=pipe)):
        time.sleep(0.2)
    assert pipe.getvalue() == ""
