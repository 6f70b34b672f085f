/*
 * A small effect with one of everything a host must carry across formats: a gain in dB, a one-pole filter
 * whose cutoff is logarithmic, a mode whose values have names (Off, Lowpass, Highpass), a bypass, an output
 * parameter (the peak of the last block), a declared latency that is real (a delay line), and a state (the
 * polarity) that changes the sound, so that a state that did not travel is heard.
 */
#include "DistrhoPlugin.hpp"

#include <cmath>
#include <cstring>

START_NAMESPACE_DISTRHO

class TestFilter : public Plugin {
public:
    enum Parameters { kGain, kCutoff, kMode, kBypass, kPeak, kParameterCount };
    static constexpr uint32_t kLatency = 64;

    TestFilter() : Plugin(kParameterCount, 0, DISTRHO_PLUGIN_WANT_STATE ? 1 : 0) {
        setLatency(kLatency);
        std::memset(fDelay, 0, sizeof fDelay);
    }

protected:
    const char *getLabel() const override { return "TestFilter"; }
    const char *getDescription() const override { return "DirectPipe's cross-format test plugin"; }
    const char *getMaker() const override { return "DirectPipe"; }
    const char *getLicense() const override { return "ISC"; }
    uint32_t getVersion() const override { return d_version(1, 0, 0); }
    int64_t getUniqueId() const override { return d_cconst('D', 'p', 'T', 'f'); }

    void initParameter(uint32_t index, Parameter &parameter) override {
        switch (index) {
        case kGain:
            parameter.hints = kParameterIsAutomatable;
            parameter.name = "Gain";
            parameter.symbol = "gain";
            parameter.unit = "dB";
            parameter.ranges = ParameterRanges(0.0f, -24.0f, 24.0f);
            break;
        case kCutoff:
            parameter.hints = kParameterIsAutomatable | kParameterIsLogarithmic;
            parameter.name = "Cutoff";
            parameter.symbol = "cutoff";
            parameter.unit = "Hz";
            parameter.ranges = ParameterRanges(1000.0f, 20.0f, 20000.0f);
            break;
        case kMode: {
            parameter.hints = kParameterIsAutomatable | kParameterIsInteger;
            parameter.name = "Mode";
            parameter.symbol = "mode";
            parameter.ranges = ParameterRanges(1.0f, 0.0f, 2.0f);
            ParameterEnumerationValue *values = new ParameterEnumerationValue[3];
            values[0].value = 0.0f;
            values[0].label = "Off";
            values[1].value = 1.0f;
            values[1].label = "Lowpass";
            values[2].value = 2.0f;
            values[2].label = "Highpass";
            parameter.enumValues.count = 3;
            parameter.enumValues.restrictedMode = true;
            parameter.enumValues.values = values;
            break;
        }
        case kBypass:
            parameter.initDesignation(kParameterDesignationBypass);
            break;
        case kPeak:
            parameter.hints = kParameterIsOutput;
            parameter.name = "Peak";
            parameter.symbol = "peak";
            parameter.ranges = ParameterRanges(0.0f, 0.0f, 1.0f);
            break;
        }
    }

    float getParameterValue(uint32_t index) const override {
        switch (index) {
        case kGain: return fGain;
        case kCutoff: return fCutoff;
        case kMode: return fMode;
        case kBypass: return fBypass;
        case kPeak: return fPeak;
        }
        return 0.0f;
    }

    void setParameterValue(uint32_t index, float value) override {
        switch (index) {
        case kGain: fGain = value; break;
        case kCutoff: fCutoff = value; break;
        case kMode: fMode = value; break;
        case kBypass: fBypass = value; break;
        }
    }

#if DISTRHO_PLUGIN_WANT_STATE
    void initState(uint32_t, State &state) override {
        state.key = "polarity";
        state.defaultValue = "normal";
        state.label = "Polarity";
        state.hints = kStateIsHostWritable;
    }

    String getState(const char *key) const override {
        return String(std::strcmp(key, "polarity") == 0 && fInverted ? "inverted" : "normal");
    }

    void setState(const char *key, const char *value) override {
        if (std::strcmp(key, "polarity") == 0) fInverted = std::strcmp(value, "inverted") == 0;
    }
#endif

    void activate() override {
        std::memset(fDelay, 0, sizeof fDelay);
        fLow[0] = fLow[1] = 0.0f;
        fPosition = 0;
    }

    void run(const float **inputs, float **outputs, uint32_t frames) override {
        const float gain = std::pow(10.0f, fGain / 20.0f) * (fInverted ? -1.0f : 1.0f);
        const float coefficient = 1.0f - std::exp(-2.0f * static_cast<float>(M_PI) * fCutoff / static_cast<float>(getSampleRate()));
        const int mode = static_cast<int>(fMode + 0.5f);
        const bool bypass = fBypass > 0.5f;
        float peak = 0.0f;
        for (uint32_t frame = 0; frame < frames; ++frame) {
            for (uint32_t channel = 0; channel < 2; ++channel) {
                const float in = inputs[channel][frame];
                fLow[channel] += coefficient * (in - fLow[channel]);
                float wet = mode == 1 ? fLow[channel] : (mode == 2 ? in - fLow[channel] : in);
                wet *= gain;
                // Both paths go through the delay line, so the declared latency holds when bypassed too.
                const float out = bypass ? in : wet;
                float &slot = fDelay[channel][fPosition];
                outputs[channel][frame] = slot;
                slot = out;
                peak = std::fmax(peak, std::fabs(out));
            }
            fPosition = (fPosition + 1) % kLatency;
        }
        fPeak = std::fmin(peak, 1.0f);
    }

private:
    float fGain = 0.0f, fCutoff = 1000.0f, fMode = 1.0f, fBypass = 0.0f, fPeak = 0.0f;
    bool fInverted = false;
    float fLow[2] = {0.0f, 0.0f};
    float fDelay[2][kLatency];
    uint32_t fPosition = 0;

    DISTRHO_DECLARE_NON_COPYABLE_WITH_LEAK_DETECTOR(TestFilter)
};

Plugin *createPlugin() { return new TestFilter(); }

END_NAMESPACE_DISTRHO
