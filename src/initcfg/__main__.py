"""``python -m initcfg``: the same command line as the ``initcfg`` script, for environments
where the script is not on ``PATH`` (a venv not activated, ``pipx run``)."""

from initcfg.cli import main

if __name__ == "__main__":
    main()
