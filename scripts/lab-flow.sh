# The lab, as a teacher runs it in the window, shared by scripts/by-hand.sh and
# scripts/screenshots.sh. `lab_flow DATA APP` (DATA the window's data directory, APP its
# process): on the server's side, the Class tab, three names typed and their accounts
# created, the lab started with a click; then three students' programs (Python's smtplib, a
# socket program with the classic mistakes, one that sends without waiting) run against the
# window's own SMTP port. The window must be at 1280x800, 100 %, in English, with its
# roster empty. `lab_save DATA`: the reports and grades.csv saved to DATA/lab-reports by
# typing the folder and clicking Save reports.

lab_flow() {
    local data=$1 app=$2
    xdotool mousemove 797 13 click 1
    sleep 0.5
    xdotool mousemove 397 46 click 1
    sleep 0.5
    xdotool mousemove 247 230 click 1
    sleep 0.3
    local name
    for name in "Ann Lee" "Li Lei" "Han Meimei"; do
        xdotool type --delay 20 "$name"
        xdotool key Return
    done
    xdotool key Escape
    sleep 0.3
    xdotool mousemove 73 279 click 1
    local roster=$data/mailtutor/maildirs/roster.toml
    for _ in $(seq 50); do [ -s "$roster" ] && break; sleep 0.1; done
    [ -s "$roster" ] || { echo "Create 3 accounts made no roster" >&2; return 1; }
    sleep 1
    xdotool mousemove 401 394 click 1
    sleep 1
    local smtp
    smtp=$(python3 - "$app" <<'PY'
import os, socket, sys
pid = sys.argv[1]
inodes = {os.readlink(f"/proc/{pid}/fd/{fd}")[8:-1] for fd in os.listdir(f"/proc/{pid}/fd")
          if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:[")}
for row in open("/proc/net/tcp").read().splitlines()[1:]:
    f = row.split()
    if f[3] == "0A" and f[9] in inodes:
        port = int(f[1].split(":")[1], 16)
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        s.settimeout(2)
        try:
            greeting = s.recv(100)
        except OSError:
            greeting = b""
        s.close()
        if greeting.startswith(b"220"):
            print(port)
            break
PY
)
    [ -n "$smtp" ] || { echo "no listening port of the window greets as SMTP" >&2; return 1; }
    local run mode user password
    for run in "smtplib ann.lee" "flawed li.lei" "pipeliner han.meimei"; do
        mode=${run% *}
        user=${run#* }@mailtutor.test
        password=$(python3 -c "import sys, tomllib; d = tomllib.load(open(sys.argv[1], 'rb')); print(next(s['password'] for s in d['student'] if s['address'] == sys.argv[2]))" "$roster" "$user")
        python3 tests/clients/labclient.py "$mode" --port "$smtp" --user "$user" \
            --password "$password" >/dev/null || { echo "the program $mode did not run" >&2; return 1; }
    done
    sleep 1
}

lab_save() {
    local data=$1 try
    # A loaded machine can be slow to draw the Class tab or to take the typed path: each try
    # shows the tab again, types the folder, waits, and clicks Save reports.
    for try in 1 2 3; do
        xdotool mousemove 397 46 click 1
        sleep $try
        xdotool mousemove 370 513 click 1
        sleep 0.3
        xdotool key ctrl+a
        xdotool type --delay 15 "$data/lab-reports"
        sleep $try
        xdotool mousemove 556 513 click 1
        for _ in $(seq 100); do [ -s "$data/lab-reports/grades.csv" ] && return 0; sleep 0.1; done
        echo "Save reports wrote no grades.csv (try $try)" >&2
    done
    return 1
}
