// Colour only for terminals, and never when NO_COLOR is set or --no-color was given.
export function useColor(stream: NodeJS.WritableStream, flag: boolean | undefined): boolean {
  if (flag === false || process.env.NO_COLOR) return false;
  return Boolean((stream as NodeJS.WriteStream).isTTY);
}
