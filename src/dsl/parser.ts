import {
  CstParser,
  type IParserErrorMessageProvider,
  type IToken,
  type TokenType,
  tokenLabel,
} from "chevrotain";
import * as T from "./tokens.js";

/** Names that may also be written where a keyword token would otherwise be read. */
const nameTokens = [T.Identifier, T.MaskKw, T.MapsKw, T.Model];
/** A setting cannot be called `model`: that word starts a model statement. */
const settingNameTokens = [T.Identifier, T.MaskKw, T.MapsKw];

function describeFound(image: string): string {
  if (image === "") return "the end of the file";
  if (image === "\n" || image === "\r\n" || image === "\r") return "the end of the line";
  return `'${image}'`;
}

function uniqueLabels(types: TokenType[]): string {
  const labels = [...new Set(types.map((t) => tokenLabel(t)))];
  if (labels.length <= 1) return labels[0] ?? "something else";
  return `${labels.slice(0, -1).join(", ")} or ${labels.at(-1)}`;
}

/** Messages that say what was expected, in the user's terms rather than the grammar's. */
const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, actual }) =>
    `expected ${tokenLabel(expected)} but found ${describeFound(actual.image)}`,
  buildNotAllInputParsedMessage: ({ firstRedundant }) =>
    `expected a new line or ';' before ${describeFound(firstRedundant.image)}`,
  buildNoViableAltMessage: ({ expectedPathsPerAlt, actual }) => {
    const firsts = expectedPathsPerAlt
      .flatMap((paths) => paths.map((p) => p[0]))
      .filter((t) => t !== undefined);
    return `expected ${uniqueLabels(firsts)} but found ${describeFound(actual[0]?.image ?? "")}`;
  },
  buildEarlyExitMessage: ({ expectedIterationPaths, actual }) => {
    const firsts = expectedIterationPaths.map((p) => p[0]).filter((t) => t !== undefined);
    return `expected ${uniqueLabels(firsts)} but found ${describeFound(actual[0]?.image ?? "")}`;
  },
};

/**
 * The .cnnp grammar (the README's language reference explains each form):
 *
 *   pipeline   := statements
 *   statements := sep* (statement (sep+ statement?)*)?          sep := NEWLINE | ';'
 *   statement  := experiment | modelStmt | blockStmt | sweep | search | find | note | setting
 *   experiment := 'experiment' STRING '{' statements '}'
 *   modelStmt  := 'model' (NAME '=')? modelExpr
 *   modelExpr  := layer+ modifier*
 *   blockStmt  := 'block' NAME '=' layer+
 *   layer      := NAME ('(' (layerArg (',' layerArg)*)? ')')?
 *               | 'residual' '(' innerLayer+ ')'                a residual's layers: one level only
 *   innerLayer := NAME ('(' (layerArg (',' layerArg)*)? ')')?
 *   layerArg   := NAME ('=' value)? | NUMBER
 *   modifier   := 'mask' MASK | 'maps' NUMBER | 'insert' layer+ 'after' NUMBER
 *   sweep      := 'sweep' name (',' name)* NAME? '[' (item (',' item)*)? ']'    NAME: a scale, `log`
 *   search     := 'search' NAME NUMBER 'by' NAME NAME?         strategy, candidates, metric, direction
 *   item       := value ('..' value ('step' value)?)? | '(' value (',' value)* ')'
 *   find       := 'find' NAME name ('where' NAME COMPARISON value | 'by' NAME NAME?)
 *   note       := 'note' (TEXT | STRING)
 *   expect     := 'expect' NAME NUMBER ('for' (name value)+)? (name value)*   a published figure
 *   setting    := (NAME | 'mask' | 'maps') value*
 *   value      := NUMBER | MASK | STRING | name | reference  name := NAME | 'mask' | 'maps' | 'model'
 *   reference  := 'from' STRING                                 another experiment's answer
 *
 * Inside brackets and parentheses new lines are ignored (the parse step drops them), so long
 * sweeps may span lines.
 *
 * Experiments are the grammar's only recursion (a residual's layers are not layers that may hold a
 * residual: a residual in a residual is written through a block, which the checker resolves). The parse step drops blocks nested deeper than
 * `maxNesting` before parsing, and the parser itself never enters an experiment deeper than that
 * (error recovery can open one without its '{'): the offending `experiment` tokens are noted in
 * `tooDeep`, so no input can exhaust the stack.
 */
export class CnnpParser extends CstParser {
  /** Experiments may nest this deep; set by the parse step before each parse. */
  maxNesting = 32;
  /** `experiment` tokens the parser declined to enter, being too deep already. */
  tooDeep: IToken[] = [];
  private depth = 0;

  /** Clears the nesting state: call before each parse. */
  resetNesting(maxNesting: number): void {
    this.maxNesting = maxNesting;
    this.tooDeep = [];
    this.depth = 0;
  }

  /** Whether an experiment may start here; notes the token when it may not. */
  private mayNest(): boolean {
    if (this.depth < this.maxNesting) return true;
    const t = this.LA(1);
    if (t.tokenType === T.Experiment && this.tooDeep.at(-1) !== t) this.tooDeep.push(t);
    return false;
  }

  constructor() {
    super(T.allTokens, {
      recoveryEnabled: true,
      maxLookahead: 3,
      nodeLocationTracking: "full",
      errorMessageProvider: messages,
    });
    this.performSelfAnalysis();
  }

  public pipeline = this.RULE("pipeline", () => {
    this.SUBRULE(this.statements);
  });

  private sep = this.RULE("sep", () => {
    this.OR([{ ALT: () => this.CONSUME(T.Newline) }, { ALT: () => this.CONSUME(T.Semicolon) }]);
  });

  private statements = this.RULE("statements", () => {
    this.MANY(() => this.SUBRULE(this.sep));
    this.OPTION(() => {
      this.SUBRULE(this.statement);
      this.MANY2(() => {
        this.AT_LEAST_ONE(() => this.SUBRULE2(this.sep));
        this.OPTION2(() => this.SUBRULE2(this.statement));
      });
    });
  });

  private statement = this.RULE("statement", () => {
    this.OR([
      { GATE: () => this.mayNest(), ALT: () => this.SUBRULE(this.experiment) },
      { ALT: () => this.SUBRULE(this.modelStmt) },
      { ALT: () => this.SUBRULE(this.blockStmt) },
      { ALT: () => this.SUBRULE(this.sweep) },
      { ALT: () => this.SUBRULE(this.search) },
      { ALT: () => this.SUBRULE(this.find) },
      { ALT: () => this.SUBRULE(this.note) },
      { ALT: () => this.SUBRULE(this.expect) },
      { ALT: () => this.SUBRULE(this.setting) },
    ]);
  });

  private experiment = this.RULE("experiment", () => {
    this.CONSUME(T.Experiment);
    this.CONSUME(T.StringLiteral);
    this.CONSUME(T.LBrace);
    this.depth++;
    try {
      this.SUBRULE(this.statements);
    } finally {
      this.depth--;
    }
    this.CONSUME(T.RBrace);
  });

  private modelStmt = this.RULE("modelStmt", () => {
    this.CONSUME(T.Model);
    this.OPTION(() => {
      this.CONSUME(T.Identifier, { LABEL: "defName" });
      this.CONSUME(T.Equals);
    });
    this.SUBRULE(this.modelExpr);
  });

  private modelExpr = this.RULE("modelExpr", () => {
    this.AT_LEAST_ONE(() => this.SUBRULE(this.layer));
    this.MANY(() => this.SUBRULE(this.modifier));
  });

  private blockStmt = this.RULE("blockStmt", () => {
    this.CONSUME(T.Block);
    this.CONSUME(T.Identifier, { LABEL: "defName" });
    this.CONSUME(T.Equals);
    this.AT_LEAST_ONE(() => this.SUBRULE(this.layer));
  });

  private layer = this.RULE("layer", () => {
    const name = this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.OR({
        IGNORE_AMBIGUITIES: true,
        DEF: [
          {
            // `residual(conv16(same) conv16(same, linear))`: its layers, not options.
            GATE: () => name.image === "residual",
            ALT: () => this.AT_LEAST_ONE(() => this.SUBRULE(this.innerLayer)),
          },
          { ALT: () => this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.layerArg) }) },
        ],
      });
      this.CONSUME(T.RParen);
    });
  });

  private innerLayer = this.RULE("innerLayer", () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.layerArg) });
      this.CONSUME(T.RParen);
    });
  });

  private layerArg = this.RULE("layerArg", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Identifier);
          this.OPTION(() => {
            this.CONSUME(T.Equals);
            this.SUBRULE(this.value);
          });
        },
      },
      { ALT: () => this.CONSUME(T.NumberLiteral) },
    ]);
  });

  private modifier = this.RULE("modifier", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.MaskKw);
          this.CONSUME(T.MaskLiteral);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.MapsKw);
          this.CONSUME(T.NumberLiteral);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Insert);
          this.AT_LEAST_ONE(() => this.SUBRULE(this.layer));
          this.CONSUME(T.After);
          this.CONSUME2(T.NumberLiteral, { LABEL: "position" });
        },
      },
    ]);
  });

  private sweep = this.RULE("sweep", () => {
    this.CONSUME(T.Sweep);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.name) });
    this.OPTION(() => this.CONSUME(T.Identifier, { LABEL: "scale" }));
    this.CONSUME(T.LBracket);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.item) });
    this.CONSUME(T.RBracket);
  });

  private item = this.RULE("item", () => {
    this.OR([
      {
        ALT: () => {
          this.SUBRULE(this.value, { LABEL: "from" });
          this.OPTION(() => {
            this.CONSUME(T.DotDot);
            this.SUBRULE2(this.value, { LABEL: "to" });
            this.OPTION2(() => {
              this.CONSUME(T.Step);
              this.SUBRULE3(this.value, { LABEL: "step" });
            });
          });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE4(this.value, { LABEL: "tuple" }) });
          this.CONSUME(T.RParen);
        },
      },
    ]);
  });

  private find = this.RULE("find", () => {
    this.CONSUME(T.Find);
    this.CONSUME(T.Identifier, { LABEL: "mode" });
    this.SUBRULE(this.name, { LABEL: "target" });
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Where);
          this.CONSUME2(T.Identifier, { LABEL: "metric" });
          this.CONSUME(T.Comparison);
          this.SUBRULE(this.value);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.By);
          this.CONSUME3(T.Identifier, { LABEL: "byMetric" });
          this.OPTION(() => this.CONSUME4(T.Identifier, { LABEL: "direction" }));
        },
      },
    ]);
  });

  private search = this.RULE("search", () => {
    this.CONSUME(T.Search);
    this.CONSUME(T.Identifier, { LABEL: "strategy" });
    this.CONSUME(T.NumberLiteral, { LABEL: "count" });
    this.CONSUME(T.By);
    this.CONSUME2(T.Identifier, { LABEL: "metric" });
    this.OPTION(() => this.CONSUME3(T.Identifier, { LABEL: "direction" }));
  });

  private expect = this.RULE("expect", () => {
    this.CONSUME(T.Expect);
    this.CONSUME(T.Identifier, { LABEL: "metric" });
    this.CONSUME(T.NumberLiteral, { LABEL: "figure" });
    this.OPTION(() => this.CONSUME(T.For));
    this.MANY(() => {
      this.SUBRULE(this.name, { LABEL: "key" });
      this.SUBRULE(this.value);
    });
  });

  private note = this.RULE("note", () => {
    this.CONSUME(T.Note);
    this.OR([{ ALT: () => this.CONSUME(T.TripleString) }, { ALT: () => this.CONSUME(T.StringLiteral) }]);
  });

  private setting = this.RULE("setting", () => {
    this.OR(settingNameTokens.map((t) => ({ ALT: () => this.CONSUME(t) })));
    this.MANY(() => this.SUBRULE(this.value));
  });

  private name = this.RULE("name", () => {
    this.OR(nameTokens.map((t) => ({ ALT: () => this.CONSUME(t) })));
  });

  private value = this.RULE("value", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.NumberLiteral) },
      { ALT: () => this.CONSUME(T.MaskLiteral) },
      { ALT: () => this.CONSUME(T.StringLiteral) },
      { ALT: () => this.SUBRULE(this.name) },
      { ALT: () => this.SUBRULE(this.reference) },
    ]);
  });

  private reference = this.RULE("reference", () => {
    this.CONSUME(T.From);
    this.CONSUME(T.StringLiteral);
  });
}

/** One parser for the process: Chevrotain parsers are built once and reused by resetting input. */
export const parserInstance = new CnnpParser();
