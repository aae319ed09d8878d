/**
 * The tool schemas the Qwen3-VL models were trained against - the one source of truth used to build prompts,
 * to validate replies and to write docs. The text is sent exactly as it stands here; only the
 * "The screen's resolution is {W}x{H}." line changes, and it carries the model's coordinate space (the grid),
 * not the real screen size (see reference/qwen3-vl-protocol.md sections 1-3).
 *
 * Deviation on purpose: Qwen's reference executor fakes `triple_click` with a double click and maps `hscroll` to
 * a vertical scroll, and says so in the action list. We perform both for real, so those two lines say only what
 * the action does.
 *
 * The actions, their order and their lines come from the action table (app/base/actions.ts); this file holds the
 * tool-level text around them.
 */
import {
  COMPUTER_USE_ACTIONS,
  COMPUTER_USE_TABLE,
  MOBILE_USE_ACTIONS,
  MOBILE_USE_TABLE,
  SYSTEM_BUTTONS,
  TERMINATE_STATUSES,
} from '../base/actions';

/** The action list of a tool description: one "* `name`: line" per action, in the table's order. */
function actionLines(table: ReadonlyArray<{ name: string; line: string }>): string {
  return table.map((a) => `* \`${a.name}\`: ${a.line}`).join('\n');
}

export type ToolName = 'computer_use' | 'mobile_use' | 'image_zoom_in_tool';

/** An OpenAI-style function tool, as sent in `tools` or listed in the Nous `<tools>` block. */
export interface FunctionTool {
  type: 'function';
  function: {
    name: ToolName;
    description: string;
    parameters: {
      type: 'object';
      properties: Record<string, Record<string, unknown>>;
      required: string[];
    };
  };
}

export interface ScreenText {
  /** The size the model is told the screen has: the grid (1000x1000, 999x999) or the resized image's pixels. */
  width: number;
  height: number;
}

function computerUseDescription(screen: ScreenText): string {
  return [
    'Use a mouse and keyboard to interact with a computer, and take screenshots.',
    '* This is an interface to a desktop GUI. You do not have access to a terminal or applications menu. You must click on desktop icons to start applications.',
    "* Some applications may take time to start or process actions, so you may need to wait and take successive screenshots to see the results of your actions. E.g. if you click on Firefox and a window doesn't open, try wait and taking another screenshot.",
    `* The screen's resolution is ${screen.width}x${screen.height}.`,
    '* Whenever you intend to move the cursor to click on an element like an icon, you should consult a screenshot to determine the coordinates of the element before moving the cursor.',
    '* If you tried clicking on a program or link but it failed to load, even after waiting, try adjusting your cursor position so that the tip of the cursor visually falls on the element that you want to click.',
    "* Make sure to click any buttons, links, icons, etc with the cursor tip in the center of the element. Don't click boxes on their edges.",
  ].join('\n');
}

export function computerUseTool(screen: ScreenText): FunctionTool {
  const actionList = actionLines(COMPUTER_USE_TABLE);
  return {
    type: 'function',
    function: {
      name: 'computer_use',
      description: computerUseDescription(screen),
      parameters: {
        properties: {
          action: {
            description: `The action to perform. The available actions are:\n${actionList}`,
            enum: [...COMPUTER_USE_ACTIONS],
            type: 'string',
          },
          keys: { description: 'Required only by `action=key`.', type: 'array' },
          text: { description: 'Required only by `action=type` and `action=answer`.', type: 'string' },
          coordinate: {
            description:
              '(x, y): The x (pixels from the left edge) and y (pixels from the top edge) coordinates to move the mouse to.',
            type: 'array',
          },
          pixels: {
            description:
              'The amount of scrolling to perform. Positive values scroll up, negative values scroll down. Required only by `action=scroll` and `action=hscroll`.',
            type: 'number',
          },
          time: { description: 'The seconds to wait. Required only by `action=wait`.', type: 'number' },
          status: {
            description: 'The status of the task. Required only by `action=terminate`.',
            type: 'string',
            enum: [...TERMINATE_STATUSES],
          },
        },
        required: ['action'],
        type: 'object',
      },
    },
  };
}

export function mobileUseTool(screen: ScreenText): FunctionTool {
  const actionList = actionLines(MOBILE_USE_TABLE);
  return {
    type: 'function',
    function: {
      name: 'mobile_use',
      description: [
        'Use a touchscreen to interact with a mobile device, and take screenshots.',
        '* This is an interface to a mobile device with touchscreen. You can perform actions like clicking, typing, swiping, etc.',
        '* Some applications may take time to start or process actions, so you may need to wait and take successive screenshots to see the results of your actions.',
        `* The screen's resolution is ${screen.width}x${screen.height}.`,
        "* Make sure to click any buttons, links, icons, etc with the cursor tip in the center of the element. Don't click boxes on their edges.",
      ].join('\n'),
      parameters: {
        properties: {
          action: {
            description: `The action to perform. The available actions are:\n${actionList}`,
            enum: [...MOBILE_USE_ACTIONS],
            type: 'string',
          },
          coordinate: {
            description:
              '(x, y): The x (pixels from the left edge) and y (pixels from the top edge) coordinates to move the mouse to. Required only by `action=click`, `action=long_press`, and `action=swipe`.',
            type: 'array',
          },
          coordinate2: {
            description:
              '(x, y): The x (pixels from the left edge) and y (pixels from the top edge) coordinates to move the mouse to. Required only by `action=swipe`.',
            type: 'array',
          },
          text: {
            description: 'Required only by `action=key`, `action=type`, `action=answer`, and `action=open`.',
            type: 'string',
          },
          time: {
            description: 'The seconds to wait. Required only by `action=long_press` and `action=wait`.',
            type: 'number',
          },
          button: {
            description:
              'Back means returning to the previous interface, Home means returning to the desktop, Menu means opening the application background menu, and Enter means pressing the enter. Required only by `action=system_button`',
            enum: [...SYSTEM_BUTTONS],
            type: 'string',
          },
          status: {
            description: 'The status of the task. Required only by `action=terminate`.',
            type: 'string',
            enum: [...TERMINATE_STATUSES],
          },
        },
        required: ['action'],
        type: 'object',
      },
    },
  };
}

/**
 * The report's tool-augmented perception tool (seed 003, appendix B.9): crop a region of an image the model was
 * sent and look again. The box is on the profile's grid, which the description states (`screen` is that grid, as
 * in the computer_use text); the answer is the enlarged crop (agent/zoom.ts).
 */
export function imageZoomInTool(screen: ScreenText = { width: 1000, height: 1000 }): FunctionTool {
  return {
    type: 'function',
    function: {
      name: 'image_zoom_in_tool',
      description:
        'Zoom in on a specific region of an image by cropping it based on a bounding box (bbox) and an optional object label.',
      parameters: {
        type: 'object',
        properties: {
          bbox_2d: {
            type: 'array',
            items: { type: 'number' },
            minItems: 4,
            maxItems: 4,
            description: `The bounding box of the region to zoom in, as [x1, y1, x2, y2], where (x1, y1) is the top-left corner and (x2, y2) is the bottom-right corner, and the values of x1, y1, x2, y2 are all normalized to the range 0-${screen.width}.`,
          },
          label: { type: 'string', description: 'The name or label of the object in the specified bounding box (optional).' },
          img_idx: { type: 'number', description: 'The index of the zoomed-in image (starting from 0)' },
        },
        required: ['bbox_2d', 'label', 'img_idx'],
      },
    },
  };
}
