// Generated from src/dsl/parser.ts by `npm run cst` (Chevrotain's generateCstDts): do not edit.
import type { CstNode, ICstVisitor, IToken } from "chevrotain";

export interface PipelineCstNode extends CstNode {
  name: "pipeline";
  children: PipelineCstChildren;
}

export type PipelineCstChildren = {
  statements: StatementsCstNode[];
};

export interface SepCstNode extends CstNode {
  name: "sep";
  children: SepCstChildren;
}

export type SepCstChildren = {
  Newline?: IToken[];
  Semicolon?: IToken[];
};

export interface StatementsCstNode extends CstNode {
  name: "statements";
  children: StatementsCstChildren;
}

export type StatementsCstChildren = {
  sep?: (SepCstNode)[];
  statement?: (StatementCstNode)[];
};

export interface StatementCstNode extends CstNode {
  name: "statement";
  children: StatementCstChildren;
}

export type StatementCstChildren = {
  experiment?: ExperimentCstNode[];
  modelStmt?: ModelStmtCstNode[];
  blockStmt?: BlockStmtCstNode[];
  sweep?: SweepCstNode[];
  search?: SearchCstNode[];
  find?: FindCstNode[];
  note?: NoteCstNode[];
  expect?: ExpectCstNode[];
  setting?: SettingCstNode[];
};

export interface ExperimentCstNode extends CstNode {
  name: "experiment";
  children: ExperimentCstChildren;
}

export type ExperimentCstChildren = {
  Kw_experiment: IToken[];
  StringLiteral: IToken[];
  LBrace: IToken[];
  statements: StatementsCstNode[];
  RBrace: IToken[];
};

export interface ModelStmtCstNode extends CstNode {
  name: "modelStmt";
  children: ModelStmtCstChildren;
}

export type ModelStmtCstChildren = {
  Kw_model: IToken[];
  defName?: IToken[];
  Equals?: IToken[];
  modelExpr: ModelExprCstNode[];
};

export interface ModelExprCstNode extends CstNode {
  name: "modelExpr";
  children: ModelExprCstChildren;
}

export type ModelExprCstChildren = {
  layer: LayerCstNode[];
  modifier?: ModifierCstNode[];
};

export interface BlockStmtCstNode extends CstNode {
  name: "blockStmt";
  children: BlockStmtCstChildren;
}

export type BlockStmtCstChildren = {
  Kw_block: IToken[];
  defName: IToken[];
  Equals: IToken[];
  layer: LayerCstNode[];
};

export interface LayerCstNode extends CstNode {
  name: "layer";
  children: LayerCstChildren;
}

export type LayerCstChildren = {
  Identifier: IToken[];
  LParen?: IToken[];
  innerLayer?: InnerLayerCstNode[];
  layerArg?: LayerArgCstNode[];
  Comma?: IToken[];
  RParen?: IToken[];
};

export interface InnerLayerCstNode extends CstNode {
  name: "innerLayer";
  children: InnerLayerCstChildren;
}

export type InnerLayerCstChildren = {
  Identifier: IToken[];
  LParen?: IToken[];
  layerArg?: LayerArgCstNode[];
  Comma?: IToken[];
  RParen?: IToken[];
};

export interface LayerArgCstNode extends CstNode {
  name: "layerArg";
  children: LayerArgCstChildren;
}

export type LayerArgCstChildren = {
  Identifier?: IToken[];
  Equals?: IToken[];
  value?: ValueCstNode[];
  NumberLiteral?: IToken[];
};

export interface ModifierCstNode extends CstNode {
  name: "modifier";
  children: ModifierCstChildren;
}

export type ModifierCstChildren = {
  Kw_mask?: IToken[];
  MaskLiteral?: IToken[];
  Kw_maps?: IToken[];
  NumberLiteral?: IToken[];
  Kw_insert?: IToken[];
  layer?: LayerCstNode[];
  Kw_after?: IToken[];
  position?: IToken[];
};

export interface SweepCstNode extends CstNode {
  name: "sweep";
  children: SweepCstChildren;
}

export type SweepCstChildren = {
  Kw_sweep: IToken[];
  name: NameCstNode[];
  Comma?: (IToken)[];
  scale?: IToken[];
  LBracket: IToken[];
  item?: ItemCstNode[];
  RBracket: IToken[];
};

export interface ItemCstNode extends CstNode {
  name: "item";
  children: ItemCstChildren;
}

export type ItemCstChildren = {
  from?: ValueCstNode[];
  DotDot?: IToken[];
  to?: ValueCstNode[];
  Kw_step?: IToken[];
  step?: ValueCstNode[];
  LParen?: IToken[];
  tuple?: ValueCstNode[];
  Comma?: IToken[];
  RParen?: IToken[];
};

export interface FindCstNode extends CstNode {
  name: "find";
  children: FindCstChildren;
}

export type FindCstChildren = {
  Kw_find: IToken[];
  mode: IToken[];
  target: NameCstNode[];
  Kw_where?: IToken[];
  metric?: IToken[];
  Comparison?: IToken[];
  value?: ValueCstNode[];
  Kw_by?: IToken[];
  byMetric?: IToken[];
  direction?: IToken[];
};

export interface SearchCstNode extends CstNode {
  name: "search";
  children: SearchCstChildren;
}

export type SearchCstChildren = {
  Kw_search: IToken[];
  strategy: IToken[];
  count: IToken[];
  Kw_by: IToken[];
  metric: IToken[];
  direction?: IToken[];
};

export interface ExpectCstNode extends CstNode {
  name: "expect";
  children: ExpectCstChildren;
}

export type ExpectCstChildren = {
  Kw_expect: IToken[];
  metric: IToken[];
  figure: IToken[];
  Kw_for?: IToken[];
  key?: NameCstNode[];
  value?: ValueCstNode[];
};

export interface NoteCstNode extends CstNode {
  name: "note";
  children: NoteCstChildren;
}

export type NoteCstChildren = {
  Kw_note: IToken[];
  TripleString?: IToken[];
  StringLiteral?: IToken[];
};

export interface SettingCstNode extends CstNode {
  name: "setting";
  children: SettingCstChildren;
}

export type SettingCstChildren = {
  Identifier?: IToken[];
  Kw_mask?: IToken[];
  Kw_maps?: IToken[];
  value?: ValueCstNode[];
};

export interface NameCstNode extends CstNode {
  name: "name";
  children: NameCstChildren;
}

export type NameCstChildren = {
  Identifier?: IToken[];
  Kw_mask?: IToken[];
  Kw_maps?: IToken[];
  Kw_model?: IToken[];
};

export interface ValueCstNode extends CstNode {
  name: "value";
  children: ValueCstChildren;
}

export type ValueCstChildren = {
  NumberLiteral?: IToken[];
  MaskLiteral?: IToken[];
  StringLiteral?: IToken[];
  name?: NameCstNode[];
  reference?: ReferenceCstNode[];
};

export interface ReferenceCstNode extends CstNode {
  name: "reference";
  children: ReferenceCstChildren;
}

export type ReferenceCstChildren = {
  Kw_from: IToken[];
  StringLiteral: IToken[];
};

export interface ICstNodeVisitor<IN, OUT> extends ICstVisitor<IN, OUT> {
  pipeline(children: PipelineCstChildren, param?: IN): OUT;
  sep(children: SepCstChildren, param?: IN): OUT;
  statements(children: StatementsCstChildren, param?: IN): OUT;
  statement(children: StatementCstChildren, param?: IN): OUT;
  experiment(children: ExperimentCstChildren, param?: IN): OUT;
  modelStmt(children: ModelStmtCstChildren, param?: IN): OUT;
  modelExpr(children: ModelExprCstChildren, param?: IN): OUT;
  blockStmt(children: BlockStmtCstChildren, param?: IN): OUT;
  layer(children: LayerCstChildren, param?: IN): OUT;
  innerLayer(children: InnerLayerCstChildren, param?: IN): OUT;
  layerArg(children: LayerArgCstChildren, param?: IN): OUT;
  modifier(children: ModifierCstChildren, param?: IN): OUT;
  sweep(children: SweepCstChildren, param?: IN): OUT;
  item(children: ItemCstChildren, param?: IN): OUT;
  find(children: FindCstChildren, param?: IN): OUT;
  search(children: SearchCstChildren, param?: IN): OUT;
  expect(children: ExpectCstChildren, param?: IN): OUT;
  note(children: NoteCstChildren, param?: IN): OUT;
  setting(children: SettingCstChildren, param?: IN): OUT;
  name(children: NameCstChildren, param?: IN): OUT;
  value(children: ValueCstChildren, param?: IN): OUT;
  reference(children: ReferenceCstChildren, param?: IN): OUT;
}
