#!/usr/bin/env python3
"""Where a call's post-dial delay goes on the outbound socket, from a capture (BENCHMARKS.md, "post-dial delay").

Input: the fields of every TCP segment with a payload (or a SYN) on the daemon's outbound port, as printed by
  tshark -r CAPTURE -Y "tcp.port==PORT && (tcp.flags.syn==1 && tcp.flags.ack==0 || tcp.len>0)" \
    -T fields -e frame.time_relative -e tcp.srcport -e tcp.len -e tcp.stream -e tcp.payload > segments.txt
Usage: socket_breakdown.py PORT segments.txt
Prints, per step, the median over the sessions (the first four, cold, left out).
"""
import collections
import statistics
import sys

port = int(sys.argv[1])
sessions = collections.defaultdict(list)
for line in open(sys.argv[2]):
    fields = line.rstrip("\n").split("\t")
    payload = bytes.fromhex(fields[4]) if len(fields) > 4 and fields[4] else b""
    sessions[int(fields[3])].append((float(fields[0]), int(fields[1]) == port, int(fields[2]), payload))

rows = []
for _, segments in sorted(sessions.items()):
    syn = segments[0][0]
    connect = next((s for s in segments if s[1] and s[2] > 0), None)
    channel_data = next((s for s in segments if not s[1] and s[2] > 1000), None)
    bridge = next((s for s in segments if s[1] and b"execute-app-name: bridge" in s[3]), None)
    if not (connect and channel_data and bridge):
        continue
    replies = [s for s in segments if not s[1] and b"Reply-Text: +OK\n" in s[3] and s[0] >= bridge[0]]
    row = [(connect[0] - syn) * 1e3, (channel_data[0] - connect[0]) * 1e3, (bridge[0] - channel_data[0]) * 1e3]
    row += [(r[0] - bridge[0]) * 1e3 for r in replies[:2]]
    rows.append(row)

warm = rows[4:]
steps = ["FreeSWITCH's SYN -> daemon's connect written", "connect -> channel data back",
         "channel data -> decision batch written", "batch -> first +OK", "batch -> second +OK"]
for i, step in enumerate(steps):
    values = [r[i] for r in warm if len(r) > i]
    if values:
        print(f"{step}: median {statistics.median(values):.2f} ms (n={len(values)})")
