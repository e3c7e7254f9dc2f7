"""A screenshot of the study in the MLflow UI, as a user sees it after `dvc repro` (needs
Debian's chromium): the newest `report` run's page, its XTREME metrics first.

    python bench/mlflow_screenshot.py                      # the store in ./mlruns
    python bench/mlflow_screenshot.py --out mlflow.png --compare

`--compare` opens the compare view of the newest two report runs (two experiments, e.g. xlmr
and clip). The UI server binds to 127.0.0.1 on a free port and is stopped before the script
ends.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, server: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"error: the MLflow UI exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"error: the MLflow UI did not answer at {url} within {timeout:.0f} s")


def report_runs(store: str, experiment: str) -> tuple[str, list[str]]:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=store)
    exp = client.get_experiment_by_name(experiment)
    if exp is None:
        sys.exit(f"error: no experiment {experiment!r} in {store}: run the pipeline first")
    runs = client.search_runs([exp.experiment_id], "attributes.run_name = 'report'",
                              order_by=["attributes.start_time DESC"])
    if not runs:
        sys.exit("error: no report run yet: run the pipeline to its report stage")
    return exp.experiment_id, [r.info.run_id for r in runs]


def page_url(base: str, exp_id: str, runs: list[str], compare: bool) -> str:
    if compare:
        query = urllib.parse.urlencode({"runs": json.dumps(runs[:2]),
                                        "experiments": json.dumps([exp_id])})
        return f"{base}/#/compare-runs?{query}"
    return f"{base}/#/experiments/{exp_id}/runs/{runs[0]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", default=f"sqlite:///{Path('mlruns/mlflow.db').resolve()}")
    parser.add_argument("--experiment", default="xstilts")
    parser.add_argument("--out", type=Path, default=Path("mlflow-report.png"))
    parser.add_argument("--compare", action="store_true")
    parser.add_argument("--size", default="1500,1700", help="window width,height")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or sys.exit("error: chromium not found "
                                                    "(apt-get install chromium)")
    exp_id, runs = report_runs(args.store, args.experiment)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "mlflow", "ui", "--backend-store-uri",
                               args.store, "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        wait_until_up(base, server)
        with tempfile.TemporaryDirectory() as profile:
            subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                            f"--window-size={args.size}", "--virtual-time-budget=20000",
                            f"--screenshot={args.out.resolve()}",
                            page_url(base, exp_id, runs, args.compare)],
                           check=True, timeout=180, capture_output=True)
    finally:  # the UI's workers share its process group
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    print(f"wrote {args.out} ({page_url(base, exp_id, runs, args.compare)})")


if __name__ == "__main__":
    main()
