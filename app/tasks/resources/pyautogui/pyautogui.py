"""
A small stand-in for pyautogui, for task setup commands such as
    python -c "import pyautogui; pyautogui.click(960, 540); pyautogui.hotkey('ctrl', 'alt', 't')"
on machines without pyautogui (it is not packaged for Debian). Deskpilot puts this directory on PYTHONPATH for the
commands a task runs, so they run unchanged; every call is performed with xdotool on $DISPLAY.
Only the functions task files use are provided; anything else raises AttributeError as a missing name would.
"""
import collections
import os
import subprocess
import time

FAILSAFE = True
PAUSE = 0.1
MINIMUM_DURATION = 0.1
DARWIN_CATCH_UP_TIME = 0.01

Point = collections.namedtuple("Point", "x y")
Size = collections.namedtuple("Size", "width height")

_BUTTONS = {"left": "1", "middle": "2", "right": "3", "primary": "1", "secondary": "3", 1: "1", 2: "2", 3: "3"}

# pyautogui key names -> X keysyms (xdotool key names)
_KEYS = {
    "enter": "Return", "return": "Return", "\n": "Return", "\r": "Return", "tab": "Tab", "\t": "Tab",
    "esc": "Escape", "escape": "Escape", "space": "space", " ": "space", "backspace": "BackSpace",
    "delete": "Delete", "del": "Delete", "insert": "Insert", "home": "Home", "end": "End",
    "pageup": "Prior", "pgup": "Prior", "pagedown": "Next", "pgdn": "Next",
    "up": "Up", "down": "Down", "left": "Left", "right": "Right",
    "ctrl": "Control_L", "ctrlleft": "Control_L", "ctrlright": "Control_R", "control": "Control_L",
    "alt": "Alt_L", "altleft": "Alt_L", "altright": "Alt_R", "option": "Alt_L",
    "shift": "Shift_L", "shiftleft": "Shift_L", "shiftright": "Shift_R",
    "win": "Super_L", "winleft": "Super_L", "winright": "Super_R", "super": "Super_L", "command": "Super_L",
    "cmd": "Super_L", "meta": "Super_L", "capslock": "Caps_Lock", "numlock": "Num_Lock",
    "scrolllock": "Scroll_Lock", "printscreen": "Print", "prntscrn": "Print", "prtsc": "Print", "pause": "Pause",
    "menu": "Menu", "apps": "Menu", "volumeup": "XF86AudioRaiseVolume", "volumedown": "XF86AudioLowerVolume",
    "volumemute": "XF86AudioMute",
    "-": "minus", "=": "equal", "+": "plus", "[": "bracketleft", "]": "bracketright", "{": "braceleft",
    "}": "braceright", "\\": "backslash", "|": "bar", ";": "semicolon", ":": "colon", "'": "apostrophe",
    '"': "quotedbl", ",": "comma", "<": "less", ".": "period", ">": "greater", "/": "slash", "?": "question",
    "`": "grave", "~": "asciitilde", "!": "exclam", "@": "at", "#": "numbersign", "$": "dollar",
    "%": "percent", "^": "asciicircum", "&": "ampersand", "*": "asterisk", "(": "parenleft", ")": "parenright",
    "_": "underscore",
}
for _i in range(1, 25):
    _KEYS["f%d" % _i] = "F%d" % _i

KEYBOARD_KEYS = sorted(_KEYS)
KEY_NAMES = KEYBOARD_KEYS


class FailSafeException(Exception):
    pass


def _xdotool(*args):
    subprocess.run(["xdotool"] + [str(a) for a in args], check=True)


def _keysym(key):
    name = str(key)
    low = name.lower()
    if low in _KEYS:
        return _KEYS[low]
    if name in _KEYS:
        return _KEYS[name]
    return name


def _pause(_pause=True):
    if _pause and PAUSE:
        time.sleep(PAUSE)


def size():
    out = subprocess.run(["xdotool", "getdisplaygeometry"], check=True, capture_output=True, text=True).stdout.split()
    return Size(int(out[0]), int(out[1]))


def position():
    out = subprocess.run(["xdotool", "getmouselocation", "--shell"], check=True, capture_output=True, text=True).stdout
    values = dict(line.split("=", 1) for line in out.split() if "=" in line)
    return Point(int(values["X"]), int(values["Y"]))


def onScreen(x, y=None):
    if y is None:
        x, y = x
    w, h = size()
    return 0 <= x < w and 0 <= y < h


def _point(x, y):
    if x is None and y is None:
        return None
    if y is None and isinstance(x, (tuple, list)):
        x, y = x[0], x[1]
    cur = position()
    return (int(round(cur.x if x is None else x)), int(round(cur.y if y is None else y)))


def moveTo(x=None, y=None, duration=0.0, tween=None, logScreenshot=False, _pause=True):
    p = _point(x, y)
    if p is not None:
        _xdotool("mousemove", "--sync", p[0], p[1])
    globals()["_pause"](_pause)


def moveRel(xOffset=None, yOffset=None, duration=0.0, tween=None, logScreenshot=False, _pause=True):
    _xdotool("mousemove_relative", "--sync", "--", int(xOffset or 0), int(yOffset or 0))
    globals()["_pause"](_pause)


move = moveRel


def mouseDown(x=None, y=None, button="left", duration=0.0, tween=None, logScreenshot=None, _pause=True):
    moveTo(x, y, _pause=False)
    _xdotool("mousedown", _BUTTONS[button])
    globals()["_pause"](_pause)


def mouseUp(x=None, y=None, button="left", duration=0.0, tween=None, logScreenshot=None, _pause=True):
    moveTo(x, y, _pause=False)
    _xdotool("mouseup", _BUTTONS[button])
    globals()["_pause"](_pause)


def click(x=None, y=None, clicks=1, interval=0.0, button="left", duration=0.0, tween=None, logScreenshot=None, _pause=True):
    moveTo(x, y, _pause=False)
    for i in range(int(clicks)):
        _xdotool("click", _BUTTONS[button])
        if interval and i + 1 < clicks:
            time.sleep(interval)
    globals()["_pause"](_pause)


def leftClick(x=None, y=None, interval=0.0, duration=0.0, tween=None, logScreenshot=None, _pause=True):
    click(x, y, 1, interval, "left", _pause=_pause)


def rightClick(x=None, y=None, interval=0.0, duration=0.0, tween=None, logScreenshot=None, _pause=True):
    click(x, y, 1, interval, "right", _pause=_pause)


def middleClick(x=None, y=None, interval=0.0, duration=0.0, tween=None, logScreenshot=None, _pause=True):
    click(x, y, 1, interval, "middle", _pause=_pause)


def doubleClick(x=None, y=None, interval=0.0, button="left", duration=0.0, tween=None, logScreenshot=None, _pause=True):
    click(x, y, 2, interval, button, _pause=_pause)


def tripleClick(x=None, y=None, interval=0.0, button="left", duration=0.0, tween=None, logScreenshot=None, _pause=True):
    click(x, y, 3, interval, button, _pause=_pause)


def dragTo(x=None, y=None, duration=0.0, tween=None, button="left", logScreenshot=None, _pause=True, mouseDownUp=True):
    if mouseDownUp:
        _xdotool("mousedown", _BUTTONS[button])
    moveTo(x, y, _pause=False)
    if mouseDownUp:
        _xdotool("mouseup", _BUTTONS[button])
    globals()["_pause"](_pause)


def dragRel(xOffset=0, yOffset=0, duration=0.0, tween=None, button="left", logScreenshot=None, _pause=True, mouseDownUp=True):
    cur = position()
    dragTo(cur.x + xOffset, cur.y + yOffset, duration, tween, button, _pause=_pause, mouseDownUp=mouseDownUp)


drag = dragRel


def _wheel(clicks, up_button, down_button, x=None, y=None, _pause=True):
    moveTo(x, y, _pause=False)
    clicks = int(clicks)
    if clicks:
        _xdotool("click", "--repeat", abs(clicks), up_button if clicks > 0 else down_button)
    globals()["_pause"](_pause)


def scroll(clicks, x=None, y=None, logScreenshot=None, _pause=True):
    _wheel(clicks, "4", "5", x, y, _pause)


vscroll = scroll


def hscroll(clicks, x=None, y=None, logScreenshot=None, _pause=True):
    # positive scrolls right, as in pyautogui
    _wheel(clicks, "7", "6", x, y, _pause)


def keyDown(key, logScreenshot=None, _pause=True):
    _xdotool("keydown", _keysym(key))
    globals()["_pause"](_pause)


def keyUp(key, logScreenshot=None, _pause=True):
    _xdotool("keyup", _keysym(key))
    globals()["_pause"](_pause)


def press(keys, presses=1, interval=0.0, logScreenshot=None, _pause=True):
    if isinstance(keys, str):
        keys = [keys]
    for _ in range(int(presses)):
        for k in keys:
            _xdotool("key", "--clearmodifiers", _keysym(k))
            if interval:
                time.sleep(interval)
    globals()["_pause"](_pause)


def hotkey(*args, **kwargs):
    # pyautogui 0.9.54 also takes the keys as one list (OSWorld's GIMP tasks call hotkey(["shift", "ctrl", "e"])).
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        args = tuple(args[0])
    keys = [_keysym(k) for k in args]
    if keys:
        _xdotool("key", "--clearmodifiers", "+".join(keys))
    interval = kwargs.get("interval", 0.0)
    if interval:
        time.sleep(interval)
    _pause(kwargs.get("_pause", True))


def typewrite(message, interval=0.0, logScreenshot=None, _pause=True):
    if isinstance(message, str):
        # Newlines and tabs are keys, as in pyautogui; the rest is typed as text.
        chunk = ""
        for ch in message:
            if ch in "\n\r\t":
                if chunk:
                    _xdotool("type", "--delay", int(interval * 1000), "--", chunk)
                    chunk = ""
                _xdotool("key", _keysym(ch))
            else:
                chunk += ch
        if chunk:
            _xdotool("type", "--delay", int(interval * 1000), "--", chunk)
    else:
        for key in message:
            press(key, _pause=False)
            if interval:
                time.sleep(interval)
    globals()["_pause"](_pause)


write = typewrite


def sleep(seconds):
    time.sleep(seconds)


def screenshot(*args, **kwargs):
    raise NotImplementedError("the Deskpilot pyautogui stand-in cannot take screenshots")
