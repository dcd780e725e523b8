"""The end of a command-line process without the interpreter's teardown
(pipelines/process_exit.py): it must still do what an exit does."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from pipelines.config import PROJECT_ROOT


def test_exit_now_runs_the_exit_handlers_flushes_and_keeps_the_status(tmp_path):
    script = textwrap.dedent(f"""
        import atexit, logging, sys
        from pipelines.process_exit import exit_now
        handler = logging.FileHandler({str(tmp_path / 'run.log')!r})
        handler.setFormatter(logging.Formatter('%(message)s'))
        logging.getLogger().addHandler(handler)
        logging.getLogger().warning('logged last')
        atexit.register(lambda: open({str(tmp_path / 'atexit')!r}, 'w').write('ran'))
        sys.stdout.write('no newline, still buffered')
        sys.stderr.write('stderr too')
        exit_now(3)
        print('never printed')
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 3
    assert result.stdout == "no newline, still buffered"
    assert result.stderr == "stderr too"
    assert (tmp_path / "atexit").read_text() == "ran"
    assert (tmp_path / "run.log").read_text() == "logged last\n"


def test_the_dpf_command_ends_with_main_s_status_and_argparse_s():
    dpf = [sys.executable, "-c", "from pipelines.cli import run; run()"]
    refused = subprocess.run([*dpf, "check", "--landing", "/no/such/folder"], cwd=PROJECT_ROOT,
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and refused.stderr.strip()
    helped = subprocess.run([*dpf, "--help"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert helped.returncode == 0 and "refresh" in helped.stdout
