# The session server: one process on the embedded SQLite store by default.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY session_server ./session_server
COPY templates ./templates
COPY static ./static
# Editable: templates/ and static/ stay beside the package, where it looks for them.
RUN pip install --no-cache-dir -e ".[redis]"
RUN useradd --create-home --uid 10001 app && mkdir -p /app/data && chown app /app/data
USER app
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
CMD ["session-server", "serve", "--host", "0.0.0.0", "--port", "8000"]
