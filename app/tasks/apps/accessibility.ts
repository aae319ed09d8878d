/**
 * `check_accessibility_tree` (OSWorld metrics/general.py): rules over the desktop's accessibility tree, the XML the
 * guest server's /accessibility gives (AT-SPI, as the getter `accessibility_tree` in misc.ts fetches it).
 *
 * As the reference, for each rule in order: the elements its `xpath` selects (when it has one), else those its CSS
 * `selectors` (joined by ", ") select, with the prefixes st/attr/cp/doc/docattr/txt/val/act bound to the ubuntu
 * namespace URIs; no element scores 0 at once. A rule with `text` scores, over the selected elements, the best
 * match of each element's own text (lxml's `.text`: the text before its first child) against it - equality when
 * `exact` (the default), else rapidfuzz's fuzz.ratio / 100; the task's score is the product of the rules' scores.
 * Anything that fails (no tree, XML that does not parse, a selector the engine refuses) scores 0, as the
 * reference's try/except does.
 *
 * The tree is parsed with @xmldom/xmldom, XPath runs on the `xpath` package and CSS on css-select (over an adapter
 * for xmldom written here, with css-what's parse): css-select does not take namespaced attribute selectors such
 * as `[attr|class="pill-label"]`, so those are rewritten to a name carrying the namespace URI, which the adapter
 * reads with getAttributeNS - the same match lxml's cssselect makes (by namespace URI, not by the prefix the XML
 * happens to use).
 */
import { DOMParser, type Element as XmlElement, type Node as XmlNode } from '@xmldom/xmldom';
import { selectAll } from 'css-select';
import { parse as parseCss, SelectorType, type Selector } from 'css-what';
import * as xpath from 'xpath';
import type { Metric } from '../evaluator-types';
import { fuzzRatio } from '../pyvalues';

/**
 * The namespaces OSWorld's ubuntu accessibility tree uses (desktop_env/server/main.py), as the current
 * general.py binds them. Older servers wrote `uri:deskat:...` URIs (slides.py check_left_panel still reads those,
 * misc.ts); a tree with them does not match these rules, here as in the reference.
 */
export const UBUNTU_A11Y_NS: Record<string, string> = {
  st: 'https://accessibility.ubuntu.example.org/ns/state',
  attr: 'https://accessibility.ubuntu.example.org/ns/attributes',
  cp: 'https://accessibility.ubuntu.example.org/ns/component',
  doc: 'https://accessibility.ubuntu.example.org/ns/document',
  docattr: 'https://accessibility.ubuntu.example.org/ns/document/attributes',
  txt: 'https://accessibility.ubuntu.example.org/ns/text',
  val: 'https://accessibility.ubuntu.example.org/ns/value',
  act: 'https://accessibility.ubuntu.example.org/ns/action',
};

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const CDATA_NODE = 4;
/** Separates the namespace URI from the local name in a rewritten attribute selector (never in an XML name). */
const NS_MARK = '\u0000';

const isElement = (node: XmlNode): node is XmlElement => node.nodeType === ELEMENT_NODE;
const childList = (node: XmlNode): XmlNode[] => Array.from({ length: node.childNodes.length }, (_, i) => node.childNodes.item(i)!).filter(Boolean);

/** What css-select needs of a DOM (its Adapter; the type is not exported from the package root). */
type XmlAdapter = NonNullable<NonNullable<Parameters<typeof selectAll<XmlNode, XmlElement>>[2]>['adapter']>;

const adapter: XmlAdapter = {
  isTag: isElement,
  getName: (element) => element.localName ?? element.nodeName,
  getChildren: childList,
  getParent: (element) => element.parentNode,
  getSiblings: (node) => (node.parentNode ? childList(node.parentNode) : [node]),
  getText: (node) => node.textContent ?? '',
  getAttributeValue(element, name) {
    const mark = name.indexOf(NS_MARK);
    if (mark >= 0) {
      const uri = name.slice(0, mark);
      const local = name.slice(mark + 1);
      return element.hasAttributeNS(uri, local) ? (element.getAttributeNS(uri, local) ?? undefined) : undefined;
    }
    // An unprefixed attribute selector matches the attribute in no namespace, as in XPath.
    return element.hasAttributeNS(null, name) ? (element.getAttributeNS(null, name) ?? undefined) : undefined;
  },
  hasAttrib(element, name) {
    return adapter.getAttributeValue(element, name) !== undefined;
  },
  removeSubsets(nodes) {
    const kept = new Set(nodes);
    return nodes.filter((node, index) => {
      if (nodes.indexOf(node) !== index) return false;
      for (let up = node.parentNode; up; up = up.parentNode) if (kept.has(up)) return false;
      return true;
    });
  },
};

export class A11yRuleError extends Error {
  override name = 'A11yRuleError';
}

/** The selector list with each `prefix|name` attribute turned into the name the adapter resolves by URI. */
function bindNamespaces(selectors: string): Selector[][] {
  return bindAll(parseCss(selectors));
}

function bindAll(list: Selector[][]): Selector[][] {
  return list.map((compound) =>
    compound.map((token): Selector => {
      // :not(...), :has(...), :is(...) hold selector lists of their own.
      if (token.type === SelectorType.Pseudo && Array.isArray(token.data)) return { ...token, data: bindAll(token.data) };
      if (token.type === SelectorType.Tag && token.namespace != null && token.namespace !== '*') {
        throw new A11yRuleError(`namespaced element name "${token.namespace}|${token.name}" (the tree's elements have no namespace)`);
      }
      if (token.type !== SelectorType.Attribute || token.namespace == null) return token;
      if (token.namespace === '*') throw new A11yRuleError(`"[*|${token.name}]": any-namespace attributes are not supported`);
      const uri = UBUNTU_A11Y_NS[token.namespace];
      if (!uri) throw new A11yRuleError(`unknown namespace prefix "${token.namespace}" (known: ${Object.keys(UBUNTU_A11Y_NS).join(', ')})`);
      return { ...token, namespace: null, name: `${uri}${NS_MARK}${token.name}` };
    }),
  );
}

/** lxml's `element.text`: the text nodes before the element's first child that is not text. */
function leadingText(node: XmlNode): string {
  let text = '';
  for (const child of childList(node)) {
    if (child.nodeType !== TEXT_NODE && child.nodeType !== CDATA_NODE) break;
    text += child.nodeValue ?? '';
  }
  return text;
}

/**
 * The guest's accessibility-tree XML, parsed strictly as lxml and ElementTree parse it (what is not well-formed is
 * refused); `fail` words the error for its metric. Shared by check_accessibility_tree and check_left_panel (misc.ts).
 */
export function parseAccessibilityTree(xml: string, fail: (problem: string) => Error): XmlElement {
  const doc = new DOMParser({
    onError: (level, message) => {
      if (level !== 'warning') throw fail(message);
    },
  }).parseFromString(xml, 'text/xml');
  if (!doc.documentElement) throw fail('no root element');
  return doc.documentElement;
}

function select(root: XmlNode, rule: Record<string, unknown>): unknown[] {
  if ('xpath' in rule) {
    const found = xpath.useNamespaces(UBUNTU_A11Y_NS)(String(rule.xpath), root as unknown as Node);
    // lxml returns a number, string or boolean for such expressions, whose len() raises: the rule fails.
    if (!Array.isArray(found)) throw new A11yRuleError(`xpath ${String(rule.xpath)} does not select nodes`);
    return found;
  }
  if ('selectors' in rule) {
    if (!Array.isArray(rule.selectors)) throw new A11yRuleError('selectors must be a list of CSS selectors');
    const query = bindNamespaces(rule.selectors.map(String).join(', '));
    // The root itself may match, as cssselect's descendant-or-self:: does: search from its document.
    return selectAll(query, root.ownerDocument ?? root, { adapter, xmlMode: true });
  }
  throw new A11yRuleError('a rule needs xpath or selectors');
}

/** The reference's score of one tree against its rules; the reason of a 0 or a partial score goes to `explain`. */
export function scoreAccessibilityTree(result: unknown, rules: unknown, explain: (why: string) => void = () => {}): number {
  try {
    if (typeof result !== 'string') throw new A11yRuleError('no accessibility tree');
    if (!Array.isArray(rules)) throw new A11yRuleError('rules must be a list');
    const root = parseAccessibilityTree(result, (problem) => new A11yRuleError(`the accessibility tree is not well-formed XML: ${problem}`));
    let total = 1;
    for (const raw of rules) {
      if (!raw || typeof raw !== 'object') throw new A11yRuleError('each rule must be an object');
      const rule = raw as Record<string, unknown>;
      const elements = select(root, rule);
      if (elements.length === 0) {
        explain(`no element for ${JSON.stringify(rule.xpath ?? rule.selectors)}`);
        return 0;
      }
      let score = 1;
      if ('text' in rule) {
        const expected = String(rule.text);
        const exact = rule.exact === undefined ? true : Boolean(rule.exact);
        score = 0;
        for (const element of elements) {
          // A selected string or attribute has no .text in lxml: AttributeError, caught, 0.
          if (!element || typeof element !== 'object' || !isElement(element as XmlNode)) throw new A11yRuleError('a text rule selected something that is not an element');
          const text = leadingText(element as XmlNode);
          score = Math.max(score, exact ? Number(text === expected) : fuzzRatio(expected, text));
        }
        if (score < 1) explain(`partial match ${score.toFixed(3)} for text ${JSON.stringify(expected)}`);
      }
      total *= score;
    }
    return total;
  } catch (error) {
    explain((error as Error).message);
    return 0;
  }
}

export const ACCESSIBILITY_METRICS: Record<string, Metric> = {
  check_accessibility_tree: (result, rules) => scoreAccessibilityTree(result, rules),
};
