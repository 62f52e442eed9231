"""The interactive path: a headless Jupyter server runs a notebook on the project's kernel.

`make lab` starts JupyterLab, which is a Jupyter server plus a user interface. Here the server is
started on localhost with a random port and token, a notebook is uploaded through the REST API,
a session starts a kernel, and each cell is executed over the kernel's websocket: the same calls
JupyterLab makes when a user presses Shift-Enter.
"""

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
import uuid

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

websocket = pytest.importorskip("websocket")
pytest.importorskip("jupyter_server")

DEADLINE_S = 120


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, root):
        self.port, self.token = _free_port(), secrets.token_hex(16)
        args = [sys.executable, "-m", "jupyter_server", "--no-browser", "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={self.port}", f"--IdentityProvider.token={self.token}",
                f"--ServerApp.root_dir={root}", "--ServerApp.port_retries=0"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.append("--allow-root")
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def api(self, method, path, body=None):
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            text = r.read()
        return json.loads(text) if text else None

    def wait_ready(self, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(self.proc.stderr.read().decode()[-2000:])
            try:
                return self.api("GET", "/api/status")
            except OSError:
                time.sleep(0.5)
        raise TimeoutError("the Jupyter server did not answer")


def _execute(ws, session, code, timeout):
    """Send one execute_request; return the text the cell printed (or raise on an error)."""
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({
        "header": {"msg_id": msg_id, "username": "test", "session": session,
                   "msg_type": "execute_request", "version": "5.3"},
        "parent_header": {}, "metadata": {}, "channel": "shell",
        "content": {"code": code, "silent": False, "store_history": True,
                    "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
    }))
    out, end = [], time.monotonic() + timeout
    while time.monotonic() < end:
        msg = json.loads(ws.recv())
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if kind == "stream":
            out.append(msg["content"]["text"])
        elif kind == "error":
            raise AssertionError("\n".join(msg["content"]["traceback"]))
        elif kind == "status" and msg["content"]["execution_state"] == "idle":
            return "".join(out)
    raise TimeoutError(code)


@pytest.mark.slow
def test_a_notebook_runs_through_a_headless_jupyter_server(tmp_path):
    t0 = time.monotonic()
    nb = new_notebook(cells=[
        new_code_cell("from fcad_lib.plots.style import nice_length"),
        new_code_cell("print(nice_length(10.0) * 21)"),
    ])
    server = Server(tmp_path)
    try:
        assert "started" in server.wait_ready(60)
        server.api("PUT", "/api/contents/check.ipynb",
                   {"type": "notebook", "format": "json", "content": nb})
        stored = nbformat.from_dict(server.api("GET", "/api/contents/check.ipynb")["content"])
        session = server.api("POST", "/api/sessions", {
            "path": "check.ipynb", "type": "notebook", "name": "check.ipynb",
            "kernel": {"name": "python3"}})
        ws = websocket.create_connection(
            f"ws://127.0.0.1:{server.port}/api/kernels/{session['kernel']['id']}/channels"
            f"?token={server.token}", timeout=DEADLINE_S)
        try:
            outputs = [_execute(ws, session["id"], c.source, DEADLINE_S - (time.monotonic() - t0))
                       for c in stored.cells]
        finally:
            ws.close()
        assert outputs == ["", "42.0\n"]  # nice_length(10 km) = 2 km, times 21
        server.api("DELETE", f"/api/sessions/{session['id']}")
    finally:
        server.proc.terminate()
        server.proc.wait(timeout=30)
    assert time.monotonic() - t0 < DEADLINE_S
