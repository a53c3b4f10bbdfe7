import { createHash } from "node:crypto";

/** SHA-256 of the four uncompressed Fashion-MNIST files, in the order train images, train labels, test images, test labels. */
export const officialFileHashes = [
  "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
  "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
  "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
  "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
] as const;

/** One checksum for a data set: SHA-256 over its four files' SHA-256s, one per line. */
export function datasetChecksum(fileHashes: readonly string[]): string {
  return createHash("sha256").update(fileHashes.join("\n")).digest("hex");
}

/** The checksum of the official Fashion-MNIST: what `cnnp plan` assumes before any data is read. */
export const officialChecksum = datasetChecksum(officialFileHashes);
