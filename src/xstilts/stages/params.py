"""Stage `params`: validate params.yaml on every `dvc repro` and `dvc exp run`.

DVC re-runs a stage only when a param it lists changes, so a key no stage lists (a typo such
as ``seed:`` for ``seeds:``) would otherwise pass unnoticed by a pipeline that is up to date.
This stage always runs, imports only the schema, and fails naming the key.
"""

from xstilts.stages.cli import parse, run


def main(argv=None) -> None:
    _, params = parse(__doc__, argv)
    print(f"params: valid ({params.data.source} data, encoder {params.encoder})")


if __name__ == "__main__":
    run(main)
