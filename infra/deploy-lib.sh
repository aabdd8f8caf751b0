#!/usr/bin/env bash
# Shared by deploy.sh and check-app.sh (sourced, not run): messages, JSON fields, az with a time
# limit, and the back-off between retries.

fail() {
  echo "deploy: error: $*" >&2
  exit 1
}

say() {
  echo "deploy: $*" >&2
}

# Reads fields out of the JSON document on stdin, one line each, in order: json_fields a.b c.
# An absent field gives an empty line; input that is not JSON fails with status 3.
json_fields() {
  node -e '
    let text = "";
    process.stdin.on("data", (c) => (text += c)).on("end", () => {
      let doc;
      try { doc = JSON.parse(text); } catch { process.exit(3); }
      for (const path of process.argv.slice(1)) {
        let v = doc;
        for (const key of path.split(".")) v = v == null ? undefined : v[key];
        v = v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v);
        process.stdout.write(v.replace(/[\r\n]+/g, " ") + "\n");
      }
    });' "$@"
}

# Runs az with a time limit, so a call that never returns (the CLI's post-deploy poll, say) cannot
# stall the deployment. The limit is $1 seconds unless DEPLOY_AZ_TIMEOUT_SECONDS overrides it.
# Exit status 124 means the limit was reached; the whole process group of az is ended then.
exec 3>&2
az_bounded() {
  local limit="${DEPLOY_AZ_TIMEOUT_SECONDS:-$1}"
  shift
  node -e '
    const { spawn } = require("child_process");
    const [limit, ...args] = process.argv.slice(1);
    // Its own process group, so the az wrapper script and the Python under it end together; no
    // stdin, so a prompt fails at once instead of waiting out the limit.
    const child = spawn("az", args, { stdio: ["ignore", "inherit", "inherit"], detached: true });
    const kill = (signal) => { try { process.kill(-child.pid, signal); } catch {} };
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      kill("SIGTERM");
      setTimeout(() => kill("SIGKILL"), 5000).unref();
    }, Number(limit) * 1000);
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => { kill(signal); process.exit(130); });
    child.on("error", (e) => { console.error(`deploy: error: cannot run az: ${e.message}`); process.exit(127); });
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (timedOut) {
        const first = args.findIndex((a) => a.startsWith("-"));
        const words = (first < 0 ? args : args.slice(0, first)).join(" ");
        // To fd 3, the deploy script stderr, which a caller silencing the az stderr leaves alone.
        require("fs").writeSync(3, `deploy: az ${words} did not finish within ${limit}s\n`);
        process.exit(124);
      }
      process.exit(code ?? 1);
    });' "$limit" "$@"
}

max_attempts=8

# Sleeps before retry number $1 (1-based): DEPLOY_BACKOFF_SECONDS, doubling, at most 120 seconds.
back_off() {
  local delay="${DEPLOY_BACKOFF_SECONDS:-15}" i
  for ((i = 1; i < $1; i++)); do delay=$((delay * 2)); done
  ((delay <= 120)) || delay=120
  ((delay == 0)) || say "waiting ${delay}s before trying again (attempt $(($1 + 1)) of $max_attempts)"
  sleep "$delay"
}
