import { z } from "zod";
import { activations } from "./types.js";

/** Pieces of the layers' schemas (what a queue worker accepts as a layer spec). */
export const whole = (b: { min: number; max: number }) => z.number().int().min(b.min).max(b.max);
export const pair = (b: { min: number; max: number }) => z.tuple([whole(b), whole(b)]);
export const fraction = z.number().min(0).lt(1);
export const padding = z.enum(["valid", "same"]);
export const activation = z.enum(activations);
