throw new Error("msgpackr-extract: native extension left out; msgpackr uses its JavaScript decoder");
