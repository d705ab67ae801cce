#!/usr/bin/env python3
"""Turns a tmux `capture-pane -e` capture (text with SGR colour codes) into an SVG image.
Only what ratatui emits is handled: 16/256/RGB foreground colours, bold, reset."""
import html
import re
import sys

BASIC = ["#1e1e1e", "#cd3131", "#0dbc79", "#e5e510", "#2472c8", "#bc3fbc", "#11a8cd", "#e5e5e5",
         "#666666", "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#ffffff"]
DEFAULT_FG, BG = "#d4d4d4", "#1e1e1e"
CW, LH = 8.4, 17  # cell width and line height in px

def color256(n):
    if n < 16:
        return BASIC[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    v = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (v, v, v)

def apply(params, state):
    codes = [int(p) if p else 0 for p in params.split(";")] if params else [0]
    i = 0
    while i < len(codes):
        c = codes[i]
        if c == 0:
            state.update(fg=DEFAULT_FG, bold=False)
        elif c == 1:
            state["bold"] = True
        elif c == 22:
            state["bold"] = False
        elif 30 <= c <= 37:
            state["fg"] = BASIC[c - 30]
        elif 90 <= c <= 97:
            state["fg"] = BASIC[c - 90 + 8]
        elif c == 39:
            state["fg"] = DEFAULT_FG
        elif c == 38 and i + 2 < len(codes) and codes[i + 1] == 5:
            state["fg"] = color256(codes[i + 2]); i += 2
        elif c == 38 and i + 4 < len(codes) and codes[i + 1] == 2:
            state["fg"] = "#%02x%02x%02x" % tuple(codes[i + 2:i + 5]); i += 4
        i += 1

def main():
    lines = sys.stdin.read().rstrip("\n").split("\n")
    width = max(80, max(len(re.sub(r"\x1b\[[0-9;]*m", "", l)) for l in lines))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{int(width * CW + 20)}" height="{len(lines) * LH + 20}" '
           f'font-family="DejaVu Sans Mono, Menlo, monospace" font-size="14">',
           f'<rect width="100%" height="100%" fill="{BG}"/>']
    state = {"fg": DEFAULT_FG, "bold": False}
    for row, line in enumerate(lines):
        col = 0
        y = 10 + (row + 1) * LH - 4
        for part in re.split(r"(\x1b\[[0-9;]*m)", line):
            if part.startswith("\x1b["):
                apply(part[2:-1], state)
                continue
            if not part:
                continue
            weight = ' font-weight="bold"' if state["bold"] else ""
            out.append(f'<text x="{10 + col * CW:.1f}" y="{y}" fill="{state["fg"]}"{weight} '
                       f'textLength="{len(part) * CW:.1f}" xml:space="preserve">{html.escape(part)}</text>')
            col += len(part)
    out.append("</svg>")
    print("\n".join(out))

main()
