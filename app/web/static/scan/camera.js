// Camera input through BarcodeDetector (Android Chrome and others; absent in desktop Linux
// Chromium, where the button stays hidden). Each new QR text read is passed to onText.

const REPEAT_MS = 2500; // the same code held in view is read again only after this

export const cameraAvailable = () => "BarcodeDetector" in window && Boolean(navigator.mediaDevices);

export class Camera {
  constructor(video, onText) {
    this.video = video;
    this.onText = onText;
    this.stream = null;
    this.last = { text: null, at: 0 };
  }

  get running() {
    return this.stream !== null;
  }

  async start() {
    const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    this.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    this.video.srcObject = this.stream;
    this.video.hidden = false;
    await this.video.play();
    const tick = async () => {
      if (!this.running) return;
      try {
        for (const code of await detector.detect(this.video)) this.read(code.rawValue);
      } catch {
        // a frame that cannot be read: try the next one
      }
      setTimeout(tick, 150);
    };
    tick();
  }

  read(text) {
    const now = Date.now();
    if (text === this.last.text && now - this.last.at < REPEAT_MS) return;
    this.last = { text, at: now };
    this.onText(text);
  }

  stop() {
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
    this.video.hidden = true;
    this.video.srcObject = null;
  }
}
