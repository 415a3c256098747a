import { AppError } from "@/lib/errors";
import { route } from "@/lib/http";

// Any unknown /api path answers a JSON 404 rather than the HTML not-found page.
const notFound = route(async () => {
  throw new AppError("NOT_FOUND", "No such API endpoint");
});

export { notFound as DELETE, notFound as GET, notFound as PATCH, notFound as POST, notFound as PUT };
