export { CampaignNotFound as default } from "@/components/CampaignNotFound";
