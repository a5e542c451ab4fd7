"""`python -m sheetflow` and the `sheetflow` command: the command line, ``cli.main``.

The command line is imported inside ``run``, not at the top: a worker process that reads returns
starts by re-running the script that started the command (``multiprocessing``'s "spawn"), and so
it imports none of the command line (click and the commands) just to read files.
"""


def run() -> None:
    from .cli import main

    main()


if __name__ == "__main__":
    run()
